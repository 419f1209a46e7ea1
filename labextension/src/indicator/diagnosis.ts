/**
 * From facts to a verdict: whether the page is cross-origin isolated, why (not),
 * how to fix it, and what that means for features that need isolation.
 *
 * Pure: no DOM, no globals. The rules for header values come from `policy.json`,
 * generated from the Python package's policy module.
 */
import policy from '../policy.json';
import { IFacts } from './facts';
import {
  CREDENTIALLESS,
  CREDENTIALLESS_FALLBACK,
  credentiallessSupported,
  headerToken
} from './headers';
import {
  EMBEDDER_SETTINGS,
  IPage,
  ISettingPlace,
  UNKNOWN_PAGE,
  settingLine
} from './page';

export type IsolationState = 'isolated' | 'not-isolated';

/** `problem`: keeps the page from being isolated. `info`: worth knowing. */
export type Severity = 'problem' | 'info';

export interface IReason {
  /** Stable identifier, e.g. `opener-missing`. */
  id: string;
  severity: Severity;
  title: string;
  detail: string;
  fix: string;
}

export interface ICapability {
  /** Stable identifier, e.g. `shared-array-buffer`. */
  id: string;
  label: string;
  /**
   * `null` when it could not be determined; `'not-here'` for what only in-browser kernels
   * gain, on a page that has none.
   */
  available: boolean | null | 'not-here';
  detail: string;
}

export interface IDiagnosis {
  state: IsolationState;
  summary: string;
  reasons: IReason[];
  capabilities: ICapability[];
  /** What the app told of its page. */
  page: IPage;
}

/** The header fields that take part in isolation. */
export type IsolatingField = 'opener' | 'embedder';

/** How a header value stands against the policy. */
export type HeaderVerdict =
  | 'isolating'
  | 'not-isolating'
  | 'missing'
  | 'invalid'
  | 'repeated'
  | 'unknown';

/** Judge one header value against the policy. */
export function judgeHeader(
  field: IsolatingField,
  facts: IFacts
): HeaderVerdict {
  if (!facts.headers) {
    return 'unknown';
  }
  const raw = facts.headers[field];
  if (raw === null || raw.trim() === '') {
    return 'missing';
  }
  if (raw.includes(',')) {
    // Sent more than once: the values were joined, which browsers reject.
    return 'repeated';
  }
  const token = headerToken(raw);
  if (!policy.allowed[field].includes(token)) {
    return 'invalid';
  }
  return policy.isolating[field].includes(token)
    ? 'isolating'
    : 'not-isolating';
}

function isolatingValues(field: IsolatingField): string {
  return policy.isolating[field].map(v => `"${v}"`).join(' or ');
}

/**
 * The isolating value jupyter-coi's default sends this browser: for COEP, `auto` gives
 * credentialless to browsers that support it and require-corp to the others.
 */
function isolatingValueHere(field: IsolatingField, facts: IFacts): string {
  if (field === 'opener') {
    return policy.defaults.opener;
  }
  return credentiallessSupported(facts.userAgent)
    ? CREDENTIALLESS
    : CREDENTIALLESS_FALLBACK;
}

/** Both isolating headers, with the values the default sends this browser. */
function isolatingHeadersHere(facts: IFacts): string {
  return (['opener', 'embedder'] as IsolatingField[])
    .map(f => `"${policy.headers[f]}: ${isolatingValueHere(f, facts)}"`)
    .join(' and ');
}

/** How to get the isolating headers to this page, from the tool that makes it. */
function headersFix(facts: IFacts, page: IPage): string {
  const wanted = isolatingHeadersHere(facts);
  const builtWithUs = facts.headers?.fallbackWorker === true;
  switch (page.deployment) {
    case 'server':
      return (
        `jupyter-coi on this server sends ${wanted} to this browser, unless a setting ` +
        'turns it off (c.CrossOriginIsolation.enabled = False, or ' +
        'c.CrossOriginIsolation.report_only = True) or ' +
        'a proxy in front of Jupyter drops the headers. `jupyter coi check URL` says which.'
      );
    case 'sphinx':
      return (
        `Have the host send ${wanted} with every page (jupyter-coi's Sphinx extension ` +
        'writes host files for Netlify, Vercel, Firebase, nginx and Apache: ' +
        'jupyter_coi_host_files), or open the page again normally: its service worker ' +
        'isolates each page after one reload where the host sends nothing.'
      );
    case 'lite':
      return builtWithUs
        ? `Have the host send ${wanted} with every page (jupyter-coi's JupyterLite addon ` +
            'writes host files for Netlify, Vercel, Firebase, nginx and Apache: ' +
            'CrossOriginIsolationAddon.host_files), or open the page again normally: the ' +
            "site's service worker isolates each page after one reload where the host " +
            'sends nothing.'
        : `Have the host send ${wanted} with every page, or build the site with ` +
            "jupyter-coi installed: its JupyterLite addon writes the hosts' config files " +
            'and a service worker that isolates each page after one reload on hosts that ' +
            'send no headers.';
    default:
      return (
        `Have the server send ${wanted} with every page (jupyter-coi does this for Jupyter ` +
        'Server, and for JupyterLite sites through its addon and service worker).'
      );
  }
}

function headerReason(
  field: IsolatingField,
  verdict: HeaderVerdict,
  facts: IFacts,
  page: IPage
): IReason | null {
  const name = policy.headers[field];
  const raw = facts.headers?.[field] ?? '';
  const needs = `Isolation needs ${name} to be ${isolatingValues(field)}.`;
  const fix = headersFix(facts, page);
  switch (verdict) {
    case 'missing':
      return {
        id: `${field}-missing`,
        severity: 'problem',
        title: `${name} header missing`,
        detail: `The page was served without ${name}. ${needs}`,
        fix
      };
    case 'repeated':
      return {
        id: `${field}-repeated`,
        severity: 'problem',
        title: `${name} header sent more than once`,
        detail:
          `The page was served with ${name}: "${raw}". A repeated header is ` +
          `invalid and browsers ignore it. ${needs}`,
        fix: `Send ${name} exactly once; remove the duplicate from the proxy or server configuration.`
      };
    case 'invalid':
      return {
        id: `${field}-invalid`,
        severity: 'problem',
        title: `${name} has an invalid value`,
        detail:
          `The page was served with ${name}: "${raw}", which is not a valid value ` +
          `(valid: ${policy.allowed[field].join(', ')}). Browsers ignore it. ${needs}`,
        fix
      };
    case 'not-isolating':
      return {
        id: `${field}-not-isolating`,
        severity: 'problem',
        title: `${name} does not isolate`,
        detail:
          `The page was served with ${name}: "${raw}". That is a valid value, ` +
          `but it does not make the page cross-origin isolated. ${needs}`,
        fix: `Change ${name} to ${isolatingValues(field)}, if nothing you use depends on "${headerToken(raw)}".`
      };
    default:
      return null;
  }
}

/**
 * Isolated, yet without SharedArrayBuffer: WebKitGTK 2.50 isolates pages but does not expose
 * the constructor, and refuses to post shared WebAssembly memory to a worker (WebKit bug
 * 317847). Nothing a server or service worker sends can change that.
 */
function isolatedWithoutSharedMemory(facts: IFacts): boolean {
  return facts.crossOriginIsolated && !facts.sharedArrayBuffer;
}

/** What in-browser Python kernels gain from isolation, for a page that has some. */
function kernelCapabilities(
  facts: IFacts,
  needs: string,
  kernels: string[] | null
): ICapability[] {
  const isolated = facts.crossOriginIsolated;
  const inputAvailable =
    facts.atomicsWaitInWorker ?? (isolated && facts.sharedArrayBuffer);
  const which = kernels?.length ? ` (here: ${kernels.join(', ')})` : '';
  return [
    {
      id: 'kernel-interrupt',
      label: `Interrupting running code in in-browser Python kernels${which}`,
      available: isolated && facts.sharedArrayBuffer,
      // What jupyter-coi's interrupt plugin gives a Pyodide kernel (see
      // interrupt/controller.ts), and what a user gets without it.
      detail:
        'jupyter-coi gives each Pyodide kernel an interrupt buffer, a SharedArrayBuffer ' +
        'shared with its worker, so the interrupt button raises KeyboardInterrupt in the ' +
        'running cell, time.sleep included. Without it an interrupt only cancels queued ' +
        'cells: a running cell stops only when it ends or the kernel restarts.' +
        needs
    },
    {
      id: 'worker-pool',
      label:
        'A worker pool for in-browser Python (multiprocessing.Pool, ProcessPoolExecutor, joblib)',
      available: isolated && facts.sharedArrayBuffer,
      // What jupyter_coi/pool/browser.py needs: workers that the kernel waits for on
      // shared memory, which a page without isolation cannot share.
      detail:
        'Python functions run on several cores: each worker is a separate Pyodide ' +
        'interpreter in a Web Worker (like a process, not a thread), and the kernel waits ' +
        'for them on shared memory. On a page that is not isolated, making a pool raises ' +
        'NotIsolatedError.' +
        needs
    },
    {
      id: 'sync-input',
      label: 'Synchronous input() in in-browser kernels',
      available: inputAvailable,
      detail:
        'input() and getpass() in an in-browser kernel block its worker with Atomics.wait ' +
        'until you answer.' +
        needs
    }
  ];
}

/** The one line for what in-browser kernels would gain, on a page without any. */
function noKernelsHere(page: IPage): ICapability {
  return {
    id: 'in-browser-kernels',
    label: 'In-browser Python kernels',
    available: 'not-here',
    detail:
      page.deployment === 'server' || page.deployment === 'other'
        ? 'Interrupts of running code, input() and worker pools need isolation only in ' +
          'Python kernels that run in the browser (Pyodide). The kernels of this page run ' +
          'on the Jupyter server, whose interrupt button and input() work either way.'
        : 'Interrupts of running code, input() and worker pools need isolation only in ' +
          'Python kernels that run in the browser (Pyodide), and this site has none.'
  };
}

function capabilities(facts: IFacts, page: IPage): ICapability[] {
  const isolated = facts.crossOriginIsolated;
  const needs = isolatedWithoutSharedMemory(facts)
    ? ' This browser does not provide SharedArrayBuffer, even to an isolated page.'
    : isolated
      ? ''
      : ' It needs a cross-origin isolated page.';
  const threadsAvailable =
    facts.wasmSharedMemory === false
      ? false
      : isolated && facts.sharedArrayBuffer;
  const kernels = page.inBrowserKernels;
  return [
    {
      id: 'shared-array-buffer',
      label: 'SharedArrayBuffer',
      available: facts.sharedArrayBuffer,
      detail: 'Memory shared between the page and its workers.' + needs
    },
    {
      id: 'wasm-threads',
      label: 'WebAssembly threads',
      available: threadsAvailable,
      detail:
        'Shared WebAssembly memory posted to workers, as multi-threaded Wasm builds need.' +
        needs
    },
    ...(kernels !== null && kernels.length === 0
      ? [noKernelsHere(page)]
      : kernelCapabilities(facts, needs, kernels)),
    {
      id: 'precise-timers',
      label: 'Precise timers',
      available:
        facts.timerResolutionMs === null
          ? null
          : facts.timerResolutionMs <= 0.02,
      detail:
        'performance.now() is coarsened on pages that are not isolated, which makes ' +
        'fine-grained benchmarks less precise.'
    }
  ];
}

function notIsolatedReasons(facts: IFacts, page: IPage): IReason[] {
  const reasons: IReason[] = [];
  if (!facts.secureContext) {
    reasons.push({
      id: 'insecure-context',
      severity: 'problem',
      title: 'Not a secure context',
      detail:
        'Browsers only isolate pages served over HTTPS or from localhost, whatever the headers say.',
      fix: 'Serve Jupyter over HTTPS, or open it through http://localhost or http://127.0.0.1.'
    });
  }

  const opener = judgeHeader('opener', facts);
  const embedder = judgeHeader('embedder', facts);
  for (const [field, verdict] of [
    ['opener', opener],
    ['embedder', embedder]
  ] as [IsolatingField, HeaderVerdict][]) {
    const reason = headerReason(field, verdict, facts, page);
    if (reason) {
      reasons.push(reason);
    }
  }

  if (opener === 'unknown' || embedder === 'unknown') {
    reasons.push({
      id: 'headers-unknown',
      severity: 'info',
      title: 'Headers could not be read',
      detail:
        'Requesting this page again to read its headers failed, so they cannot be checked here.',
      fix: "Look at the response headers of the page in the browser's developer tools (Network tab)."
    });
  }

  const headersIsolate = opener === 'isolating' && embedder === 'isolating';
  const headersUnknown = opener === 'unknown' || embedder === 'unknown';
  const headersFine = headersIsolate || headersUnknown;

  if (facts.framed) {
    const denied = facts.isolationPermitted === false;
    reasons.push({
      id: 'framed',
      severity: headersFine ? 'problem' : 'info',
      title: 'Embedded in a frame',
      detail:
        'This page runs inside a frame. A framed page is only isolated when the top-level ' +
        'page is isolated too and the frame delegates the permission with ' +
        'allow="cross-origin-isolated".' +
        (denied ? ' The permission is not delegated to this frame.' : ''),
      fix:
        'Open Jupyter in its own tab, or make the embedding page cross-origin isolated and add ' +
        'allow="cross-origin-isolated" to its <iframe>.'
    });
  } else if (facts.isolationPermitted === false) {
    reasons.push({
      id: 'permission-denied',
      severity: 'problem',
      title: 'Isolation disabled by a permissions policy',
      detail:
        'A Permissions-Policy header turns the cross-origin-isolated feature off for this page.',
      fix: 'Remove cross-origin-isolated from the Permissions-Policy the server sends.'
    });
  }

  const credentialless =
    opener === 'isolating' &&
    embedder === 'isolating' &&
    facts.headers !== null &&
    headerToken(facts.headers.embedder ?? '') === CREDENTIALLESS;
  if (credentialless && facts.secureContext && !facts.framed) {
    reasons.push({
      id: 'credentialless-unsupported',
      severity: 'problem',
      title: `This browser does not support COEP ${CREDENTIALLESS}`,
      detail:
        `The page was served with ${policy.headers.embedder}: ${CREDENTIALLESS}, which this ` +
        `browser does not implement (Safari, for one, supports only ${CREDENTIALLESS_FALLBACK}), ` +
        'so it ignores the header.',
      fix:
        `Serve ${policy.headers.embedder}: ${CREDENTIALLESS_FALLBACK} instead, which every browser ` +
        `supports, or use a browser that supports ${CREDENTIALLESS} (Chrome, Edge, Firefox).`
    });
  } else if (
    headersIsolate &&
    facts.secureContext &&
    !facts.framed &&
    facts.isolationPermitted !== false
  ) {
    reasons.push({
      id: 'unexplained',
      severity: 'problem',
      title: 'Headers are right, yet the page is not isolated',
      detail:
        'A fresh request for this page returns isolating headers, but the browser did not ' +
        'isolate this page. The page may have been loaded before the headers were set ' +
        '(or from cache), or a browser setting or extension disables isolation.',
      fix: 'Reload the page, bypassing the cache (Shift+Reload).'
    });
  }

  if (facts.serviceWorkerControlled) {
    reasons.push({
      id: 'service-worker-not-isolating',
      severity: 'info',
      title: 'A service worker controls this page',
      detail:
        'Service workers are used for other things too (JupyterLite registers one for its ' +
        'files). If this one is meant to add the isolation headers, it only takes effect ' +
        'for pages it serves: the first visit, and a hard reload, bypass it.',
      fix: 'Reload the page normally (without Shift) once the service worker is installed.'
    });
  }
  return reasons;
}

/** The isolating headers this page got, as sent; null where they were not read or do not isolate. */
function headersInForce(facts: IFacts): string | null {
  if (
    !facts.headers ||
    judgeHeader('opener', facts) !== 'isolating' ||
    judgeHeader('embedder', facts) !== 'isolating'
  ) {
    return null;
  }
  return (['opener', 'embedder'] as IsolatingField[])
    .map(f => `"${policy.headers[f]}: ${facts.headers?.[f]}"`)
    .join(' and ');
}

/** Set a tool's COEP setting to `value`, and what makes it take effect. */
function settingFix(place: ISettingPlace, value: string): string {
  return `set ${settingLine(place, value)} and ${place.then}.`;
}

function isolatedReasons(facts: IFacts, page: IPage): IReason[] {
  const reasons: IReason[] = [];
  if (isolatedWithoutSharedMemory(facts)) {
    reasons.push({
      id: 'shared-array-buffer-missing',
      severity: 'problem',
      title: 'This browser does not provide SharedArrayBuffer',
      detail:
        'The page is cross-origin isolated, but this browser does not expose ' +
        'SharedArrayBuffer to it (WebKitGTK does not, as of 2.50: WebKit bug 317847), so ' +
        'in-browser kernels cannot offer input() or interrupts here. The headers are right: ' +
        'nothing on the server can change this.',
      fix: 'Use a browser that provides it on isolated pages: Chrome, Edge, Firefox or Safari.'
    });
  }
  const opener = judgeHeader('opener', facts);
  const embedder = judgeHeader('embedder', facts);
  // A worker that controls the page but did not deliver it (JupyterLite's own, say)
  // cannot have added the headers; when the navigation timing is unknown, assume it may have.
  const viaWorker =
    facts.navigationViaServiceWorker === true ||
    (facts.navigationViaServiceWorker === null &&
      facts.serviceWorkerControlled === true);
  if (viaWorker) {
    reasons.push({
      id: 'service-worker',
      severity: 'info',
      title: 'Isolated through a service worker',
      detail:
        'This page was delivered by a service worker, which may be what adds the isolation ' +
        'headers rather than the server. A hard reload (Shift+Reload) bypasses the service ' +
        'worker, and the page is then not isolated unless the server sends the headers too.',
      fix:
        'Nothing to fix. For isolation that does not depend on a service worker, have the ' +
        `host send ${headersInForce(facts) ?? isolatingHeadersHere(facts)} too.`
    });
  } else if (
    facts.headers !== null &&
    (opener !== 'isolating' || embedder !== 'isolating')
  ) {
    reasons.push({
      id: 'headers-differ',
      severity: 'info',
      title: 'A fresh request returns different headers',
      detail:
        'The browser isolated this page, but requesting it again did not return isolating ' +
        'headers. The server configuration may have changed since the page was loaded.',
      fix: 'Reload the page to see whether it stays isolated.'
    });
  }
  if (
    embedder === 'isolating' &&
    facts.headers !== null &&
    headerToken(facts.headers.embedder ?? '') === CREDENTIALLESS
  ) {
    // Who answers each browser on its own, if anyone: the server (`auto`), or a static site's
    // jupyter-coi worker, which gives the fallback to browsers without credentialless.
    const perBrowser = facts.headers.perBrowser
      ? {
          who: 'This server answers',
          when: '',
          setting: settingFix(EMBEDDER_SETTINGS.server, CREDENTIALLESS_FALLBACK)
        }
      : facts.headers.fallbackWorker
        ? {
            who: "This site's service worker (jupyter-coi) answers",
            when: ' from it after one reload',
            setting: settingFix(
              page.deployment === 'sphinx'
                ? EMBEDDER_SETTINGS.sphinx
                : EMBEDDER_SETTINGS.lite,
              CREDENTIALLESS_FALLBACK
            )
          }
        : null;
    reasons.push(
      perBrowser
        ? {
            id: 'credentialless',
            severity: 'info',
            title: `Isolated with COEP ${CREDENTIALLESS}`,
            detail:
              'Cross-origin resources (CDN scripts, map tiles, images from other sites) load ' +
              `without cookies. ${perBrowser.who} each browser on its own: browsers without ` +
              `${CREDENTIALLESS}, such as Safari, get ${CREDENTIALLESS_FALLBACK}${perBrowser.when} ` +
              'and are isolated too, though there a cross-origin resource loads only if its ' +
              'server allows it.',
            fix:
              'Nothing to do. If a cross-origin resource must be requested with cookies, ' +
              perBrowser.setting
          }
        : {
            id: 'credentialless',
            severity: 'info',
            title: `Isolated with COEP ${CREDENTIALLESS}`,
            detail:
              'Cross-origin resources load without cookies. ' +
              `Safari does not support ${CREDENTIALLESS} and will not isolate this page.`,
            fix: `Serve ${policy.headers.embedder}: ${CREDENTIALLESS_FALLBACK} if Safari users need isolation.`
          }
    );
  }
  return reasons;
}

/**
 * The sentence under the heading (which says whether the page is isolated): what that means
 * for this page, for its in-browser kernels only where it has some.
 */
function summary(facts: IFacts, page: IPage): string {
  const none = page.inBrowserKernels?.length === 0;
  if (isolatedWithoutSharedMemory(facts)) {
    return none
      ? 'Yet this browser does not provide SharedArrayBuffer to it.'
      : 'Yet this browser does not provide SharedArrayBuffer to it, so in-browser Python ' +
          'kernels cannot offer interrupts, input() or worker pools here.';
  }
  if (facts.crossOriginIsolated) {
    return none
      ? 'SharedArrayBuffer and shared WebAssembly memory are available to its code. No ' +
          'kernel here runs in the browser, so its kernels work as they would anywhere.'
      : 'SharedArrayBuffer and shared WebAssembly memory are available: in-browser Python ' +
          'kernels can be interrupted, read input() and run worker pools.';
  }
  return none
    ? 'SharedArrayBuffer and shared WebAssembly memory are unavailable. No kernel here runs ' +
        'in the browser, so its kernels work as they would anywhere.'
    : 'SharedArrayBuffer and shared WebAssembly memory are unavailable, so in-browser ' +
        'Python kernels cannot be interrupted, read input() or run worker pools.';
}

/**
 * Diagnose cross-origin isolation from the facts, and from what the app knows of its page
 * (whose settings make its headers, and whether it has in-browser kernels).
 */
export function diagnose(
  facts: IFacts,
  page: IPage = UNKNOWN_PAGE
): IDiagnosis {
  const isolated = facts.crossOriginIsolated === true;
  const reasons = isolated
    ? isolatedReasons(facts, page)
    : notIsolatedReasons(facts, page);
  return {
    state: isolated ? 'isolated' : 'not-isolated',
    summary: summary(facts, page),
    reasons,
    capabilities: capabilities(facts, page),
    page
  };
}

/** The state known without probing: only the browser's own verdict. */
export function quickState(crossOriginIsolated: boolean): IsolationState {
  return crossOriginIsolated ? 'isolated' : 'not-isolated';
}
