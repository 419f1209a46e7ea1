/**
 * From facts to a verdict: whether the page is cross-origin isolated, why (not),
 * how to fix it, and what that means for features that need isolation.
 *
 * Pure: no DOM, no globals. The rules for header values come from `policy.json`,
 * generated from the Python package's policy module.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import policy from '../policy.json';
import { sentences, untranslated } from '../translation';
import { IFacts } from './facts';
import {
  CREDENTIALLESS,
  CREDENTIALLESS_FALLBACK,
  credentiallessSupported,
  headerToken
} from './headers';
import { IPage, SettingTool, UNKNOWN_PAGE, settingLine } from './page';

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

/** `"a" or "b"`: any one of `values`. */
function either(values: string[], trans: TranslationBundle): string {
  return values.reduce((before, next) => trans.__('%1 or %2', before, next));
}

/** `"a" and "b"`: all of `values`. */
function both(values: string[], trans: TranslationBundle): string {
  return values.reduce((before, next) => trans.__('%1 and %2', before, next));
}

function isolatingValues(
  field: IsolatingField,
  trans: TranslationBundle
): string {
  return either(
    policy.isolating[field].map(v => `"${v}"`),
    trans
  );
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

/** COOP and COEP, quoted as `"Name: value"` each, with the values `valueOf` gives. */
function openerAndEmbedder(
  valueOf: (field: IsolatingField) => string | null | undefined,
  trans: TranslationBundle
): string {
  return both(
    (['opener', 'embedder'] as IsolatingField[]).map(
      f => `"${policy.headers[f]}: ${valueOf(f)}"`
    ),
    trans
  );
}

/** Both isolating headers, with the values the default sends this browser. */
function isolatingHeadersHere(facts: IFacts, trans: TranslationBundle): string {
  return openerAndEmbedder(f => isolatingValueHere(f, facts), trans);
}

/** How to get the isolating headers to this page, from the tool that makes it. */
function headersFix(
  facts: IFacts,
  page: IPage,
  trans: TranslationBundle
): string {
  const wanted = isolatingHeadersHere(facts, trans);
  const builtWithUs = facts.headers?.fallbackWorker === true;
  switch (page.deployment) {
    case 'server':
      return trans.__(
        'jupyter-coi on this server sends %1 to this browser, unless a setting ' +
          'turns it off (c.CrossOriginIsolation.enabled = False, or ' +
          'c.CrossOriginIsolation.report_only = True) or ' +
          'a proxy in front of Jupyter drops the headers. `jupyter coi check URL` says which.',
        wanted
      );
    case 'sphinx':
      return trans.__(
        "Have the host send %1 with every page (jupyter-coi's Sphinx extension " +
          'writes host files for Netlify, Vercel, Firebase, nginx and Apache: ' +
          'jupyter_coi_host_files), or open the page again normally: its service worker ' +
          'isolates each page after one reload where the host sends nothing.',
        wanted
      );
    case 'lite':
      return builtWithUs
        ? trans.__(
            "Have the host send %1 with every page (jupyter-coi's JupyterLite addon " +
              'writes host files for Netlify, Vercel, Firebase, nginx and Apache: ' +
              'CrossOriginIsolationAddon.host_files), or open the page again normally: the ' +
              "site's service worker isolates each page after one reload where the host " +
              'sends nothing.',
            wanted
          )
        : trans.__(
            'Have the host send %1 with every page, or build the site with ' +
              "jupyter-coi installed: its JupyterLite addon writes the hosts' config files " +
              'and a service worker that isolates each page after one reload on hosts that ' +
              'send no headers.',
            wanted
          );
    default:
      return trans.__(
        'Have the server send %1 with every page (jupyter-coi does this for Jupyter ' +
          'Server, and for JupyterLite sites through its addon and service worker).',
        wanted
      );
  }
}

function headerReason(
  field: IsolatingField,
  verdict: HeaderVerdict,
  facts: IFacts,
  page: IPage,
  trans: TranslationBundle
): IReason | null {
  const name = policy.headers[field];
  const raw = facts.headers?.[field] ?? '';
  const needs = trans.__(
    'Isolation needs %1 to be %2.',
    name,
    isolatingValues(field, trans)
  );
  const fix = headersFix(facts, page, trans);
  switch (verdict) {
    case 'missing':
      return {
        id: `${field}-missing`,
        severity: 'problem',
        title: trans.__('%1 header missing', name),
        detail: trans.__('The page was served without %1. %2', name, needs),
        fix
      };
    case 'repeated':
      return {
        id: `${field}-repeated`,
        severity: 'problem',
        title: trans.__('%1 header sent more than once', name),
        detail: trans.__(
          'The page was served with %1: "%2". A repeated header is ' +
            'invalid and browsers ignore it. %3',
          name,
          raw,
          needs
        ),
        fix: trans.__(
          'Send %1 exactly once; remove the duplicate from the proxy or server configuration.',
          name
        )
      };
    case 'invalid':
      return {
        id: `${field}-invalid`,
        severity: 'problem',
        title: trans.__('%1 has an invalid value', name),
        detail: trans.__(
          'The page was served with %1: "%2", which is not a valid value ' +
            '(valid: %3). Browsers ignore it. %4',
          name,
          raw,
          policy.allowed[field].join(', '),
          needs
        ),
        fix
      };
    case 'not-isolating':
      return {
        id: `${field}-not-isolating`,
        severity: 'problem',
        title: trans.__('%1 does not isolate', name),
        detail: trans.__(
          'The page was served with %1: "%2". That is a valid value, ' +
            'but it does not make the page cross-origin isolated. %3',
          name,
          raw,
          needs
        ),
        fix: trans.__(
          'Change %1 to %2, if nothing you use depends on "%3".',
          name,
          isolatingValues(field, trans),
          headerToken(raw)
        )
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
  kernels: string[] | null,
  trans: TranslationBundle
): ICapability[] {
  const isolated = facts.crossOriginIsolated;
  const inputAvailable =
    facts.atomicsWaitInWorker ?? (isolated && facts.sharedArrayBuffer);
  return [
    {
      id: 'kernel-interrupt',
      label: kernels?.length
        ? trans.__(
            'Interrupting running code in in-browser Python kernels (here: %1)',
            kernels.join(', ')
          )
        : trans.__('Interrupting running code in in-browser Python kernels'),
      available: isolated && facts.sharedArrayBuffer,
      // What jupyter-coi's interrupt plugin gives a Pyodide kernel (see
      // interrupt/controller.ts), and what a user gets without it.
      detail: sentences(
        trans,
        trans.__(
          'jupyter-coi gives each Pyodide kernel an interrupt buffer, a SharedArrayBuffer ' +
            'shared with its worker, so the interrupt button raises KeyboardInterrupt in the ' +
            'running cell, time.sleep included. Without it an interrupt only cancels queued ' +
            'cells: a running cell stops only when it ends or the kernel restarts.'
        ),
        needs
      )
    },
    {
      id: 'worker-pool',
      label: trans.__(
        'A worker pool for in-browser Python (multiprocessing.Pool, ProcessPoolExecutor, joblib)'
      ),
      available: isolated && facts.sharedArrayBuffer,
      // What jupyter_coi/pool/browser.py needs: workers that the kernel waits for on
      // shared memory, which a page without isolation cannot share.
      detail: sentences(
        trans,
        trans.__(
          'Python functions run on several cores: each worker is a separate Pyodide ' +
            'interpreter in a Web Worker (like a process, not a thread), and the kernel waits ' +
            'for them on shared memory. On a page that is not isolated, making a pool raises ' +
            'NotIsolatedError.'
        ),
        needs
      )
    },
    {
      id: 'sync-input',
      label: trans.__('Synchronous input() in in-browser kernels'),
      available: inputAvailable,
      detail: sentences(
        trans,
        trans.__(
          'input() and getpass() in an in-browser kernel block its worker with Atomics.wait ' +
            'until you answer.'
        ),
        needs
      )
    }
  ];
}

/** The one line for what in-browser kernels would gain, on a page without any. */
function noKernelsHere(page: IPage, trans: TranslationBundle): ICapability {
  return {
    id: 'in-browser-kernels',
    label: trans.__('In-browser Python kernels'),
    available: 'not-here',
    detail:
      page.deployment === 'server' || page.deployment === 'other'
        ? trans.__(
            'Interrupts of running code, input() and worker pools need isolation only in ' +
              'Python kernels that run in the browser (Pyodide). The kernels of this page run ' +
              'on the Jupyter server, whose interrupt button and input() work either way.'
          )
        : trans.__(
            'Interrupts of running code, input() and worker pools need isolation only in ' +
              'Python kernels that run in the browser (Pyodide), and this site has none.'
          )
  };
}

function capabilities(
  facts: IFacts,
  page: IPage,
  trans: TranslationBundle
): ICapability[] {
  const isolated = facts.crossOriginIsolated;
  // Said after each feature that shared memory gives, where the page does not have it.
  const needs = isolatedWithoutSharedMemory(facts)
    ? trans.__(
        'This browser does not provide SharedArrayBuffer, even to an isolated page.'
      )
    : isolated
      ? ''
      : trans.__('It needs a cross-origin isolated page.');
  const threadsAvailable =
    facts.wasmSharedMemory === false
      ? false
      : isolated && facts.sharedArrayBuffer;
  const kernels = page.inBrowserKernels;
  return [
    {
      id: 'shared-array-buffer',
      label: trans.__('SharedArrayBuffer'),
      available: facts.sharedArrayBuffer,
      detail: sentences(
        trans,
        trans.__('Memory shared between the page and its workers.'),
        needs
      )
    },
    {
      id: 'wasm-threads',
      label: trans.__('WebAssembly threads'),
      available: threadsAvailable,
      detail: sentences(
        trans,
        trans.__(
          'Shared WebAssembly memory posted to workers, as multi-threaded Wasm builds need.'
        ),
        needs
      )
    },
    ...(kernels !== null && kernels.length === 0
      ? [noKernelsHere(page, trans)]
      : kernelCapabilities(facts, needs, kernels, trans)),
    {
      id: 'precise-timers',
      label: trans.__('Precise timers'),
      available:
        facts.timerResolutionMs === null
          ? null
          : facts.timerResolutionMs <= 0.02,
      detail: trans.__(
        'performance.now() is coarsened on pages that are not isolated, which makes ' +
          'fine-grained benchmarks less precise.'
      )
    }
  ];
}

function notIsolatedReasons(
  facts: IFacts,
  page: IPage,
  trans: TranslationBundle
): IReason[] {
  const reasons: IReason[] = [];
  if (!facts.secureContext) {
    reasons.push({
      id: 'insecure-context',
      severity: 'problem',
      title: trans.__('Not a secure context'),
      detail: trans.__(
        'Browsers only isolate pages served over HTTPS or from localhost, whatever the headers say.'
      ),
      fix: trans.__(
        'Serve Jupyter over HTTPS, or open it through http://localhost or http://127.0.0.1.'
      )
    });
  }

  const opener = judgeHeader('opener', facts);
  const embedder = judgeHeader('embedder', facts);
  for (const [field, verdict] of [
    ['opener', opener],
    ['embedder', embedder]
  ] as [IsolatingField, HeaderVerdict][]) {
    const reason = headerReason(field, verdict, facts, page, trans);
    if (reason) {
      reasons.push(reason);
    }
  }

  if (opener === 'unknown' || embedder === 'unknown') {
    reasons.push({
      id: 'headers-unknown',
      severity: 'info',
      title: trans.__('Headers could not be read'),
      detail: trans.__(
        'Requesting this page again to read its headers failed, so they cannot be checked here.'
      ),
      fix: trans.__(
        "Look at the response headers of the page in the browser's developer tools (Network tab)."
      )
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
      title: trans.__('Embedded in a frame'),
      detail: sentences(
        trans,
        trans.__(
          'This page runs inside a frame. A framed page is only isolated when the top-level ' +
            'page is isolated too and the frame delegates the permission with ' +
            'allow="cross-origin-isolated".'
        ),
        denied ? trans.__('The permission is not delegated to this frame.') : ''
      ),
      fix: trans.__(
        'Open Jupyter in its own tab, or make the embedding page cross-origin isolated and add ' +
          'allow="cross-origin-isolated" to its <iframe>.'
      )
    });
  } else if (facts.isolationPermitted === false) {
    reasons.push({
      id: 'permission-denied',
      severity: 'problem',
      title: trans.__('Isolation disabled by a permissions policy'),
      detail: trans.__(
        'A Permissions-Policy header turns the cross-origin-isolated feature off for this page.'
      ),
      fix: trans.__(
        'Remove cross-origin-isolated from the Permissions-Policy the server sends.'
      )
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
      title: trans.__('This browser does not support COEP %1', CREDENTIALLESS),
      detail: trans.__(
        'The page was served with %1: %2, which this ' +
          'browser does not implement (Safari, for one, supports only %3), ' +
          'so it ignores the header.',
        policy.headers.embedder,
        CREDENTIALLESS,
        CREDENTIALLESS_FALLBACK
      ),
      fix: trans.__(
        'Serve %1: %2 instead, which every browser ' +
          'supports, or use a browser that supports %3 (Chrome, Edge, Firefox).',
        policy.headers.embedder,
        CREDENTIALLESS_FALLBACK,
        CREDENTIALLESS
      )
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
      title: trans.__('Headers are right, yet the page is not isolated'),
      detail: trans.__(
        'A fresh request for this page returns isolating headers, but the browser did not ' +
          'isolate this page. The page may have been loaded before the headers were set ' +
          '(or from cache), or a browser setting or extension disables isolation.'
      ),
      fix: trans.__('Reload the page, bypassing the cache (Shift+Reload).')
    });
  }

  if (facts.serviceWorkerControlled) {
    reasons.push({
      id: 'service-worker-not-isolating',
      severity: 'info',
      title: trans.__('A service worker controls this page'),
      detail: trans.__(
        'Service workers are used for other things too (JupyterLite registers one for its ' +
          'files). If this one is meant to add the isolation headers, it only takes effect ' +
          'for pages it serves: the first visit, and a hard reload, bypass it.'
      ),
      fix: trans.__(
        'Reload the page normally (without Shift) once the service worker is installed.'
      )
    });
  }
  return reasons;
}

/** The isolating headers this page got, as sent; null where they were not read or do not isolate. */
function headersInForce(
  facts: IFacts,
  trans: TranslationBundle
): string | null {
  if (
    !facts.headers ||
    judgeHeader('opener', facts) !== 'isolating' ||
    judgeHeader('embedder', facts) !== 'isolating'
  ) {
    return null;
  }
  return openerAndEmbedder(f => facts.headers?.[f], trans);
}

/**
 * For a page isolated with credentialless: to request cross-origin resources with cookies, set
 * the tool's COEP setting to `value`, and what makes it take effect.
 */
function cookiesFix(
  tool: SettingTool,
  value: string,
  trans: TranslationBundle
): string {
  const line = settingLine(tool, value, trans);
  switch (tool) {
    case 'server':
      return trans.__(
        'Nothing to do. If a cross-origin resource must be requested with cookies, set %1 ' +
          'and restart Jupyter.',
        line
      );
    case 'lite':
      return trans.__(
        'Nothing to do. If a cross-origin resource must be requested with cookies, set %1 ' +
          'and build the site again.',
        line
      );
    case 'sphinx':
      return trans.__(
        'Nothing to do. If a cross-origin resource must be requested with cookies, set %1 ' +
          'and build the docs again.',
        line
      );
  }
}

function isolatedReasons(
  facts: IFacts,
  page: IPage,
  trans: TranslationBundle
): IReason[] {
  const reasons: IReason[] = [];
  if (isolatedWithoutSharedMemory(facts)) {
    reasons.push({
      id: 'shared-array-buffer-missing',
      severity: 'problem',
      title: trans.__('This browser does not provide SharedArrayBuffer'),
      detail: trans.__(
        'The page is cross-origin isolated, but this browser does not expose ' +
          'SharedArrayBuffer to it (WebKitGTK does not, as of 2.50: WebKit bug 317847), so ' +
          'in-browser kernels cannot offer input() or interrupts here. The headers are right: ' +
          'nothing on the server can change this.'
      ),
      fix: trans.__(
        'Use a browser that provides it on isolated pages: Chrome, Edge, Firefox or Safari.'
      )
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
      title: trans.__('Isolated through a service worker'),
      detail: trans.__(
        'This page was delivered by a service worker, which may be what adds the isolation ' +
          'headers rather than the server. A hard reload (Shift+Reload) bypasses the service ' +
          'worker, and the page is then not isolated unless the server sends the headers too.'
      ),
      fix: trans.__(
        'Nothing to fix. For isolation that does not depend on a service worker, have the ' +
          'host send %1 too.',
        headersInForce(facts, trans) ?? isolatingHeadersHere(facts, trans)
      )
    });
  } else if (
    facts.headers !== null &&
    (opener !== 'isolating' || embedder !== 'isolating')
  ) {
    reasons.push({
      id: 'headers-differ',
      severity: 'info',
      title: trans.__('A fresh request returns different headers'),
      detail: trans.__(
        'The browser isolated this page, but requesting it again did not return isolating ' +
          'headers. The server configuration may have changed since the page was loaded.'
      ),
      fix: trans.__('Reload the page to see whether it stays isolated.')
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
          detail: trans.__(
            'Cross-origin resources (CDN scripts, map tiles, images from other sites) load ' +
              'without cookies. This server answers each browser on its own: browsers without ' +
              '%1, such as Safari, get %2 ' +
              'and are isolated too, though there a cross-origin resource loads only if its ' +
              'server allows it.',
            CREDENTIALLESS,
            CREDENTIALLESS_FALLBACK
          ),
          fix: cookiesFix('server', CREDENTIALLESS_FALLBACK, trans)
        }
      : facts.headers.fallbackWorker
        ? {
            detail: trans.__(
              'Cross-origin resources (CDN scripts, map tiles, images from other sites) load ' +
                "without cookies. This site's service worker (jupyter-coi) answers each " +
                'browser on its own: browsers without ' +
                '%1, such as Safari, get %2 from it after one reload ' +
                'and are isolated too, though there a cross-origin resource loads only if its ' +
                'server allows it.',
              CREDENTIALLESS,
              CREDENTIALLESS_FALLBACK
            ),
            fix: cookiesFix(
              page.deployment === 'sphinx' ? 'sphinx' : 'lite',
              CREDENTIALLESS_FALLBACK,
              trans
            )
          }
        : null;
    reasons.push(
      perBrowser
        ? {
            id: 'credentialless',
            severity: 'info',
            title: trans.__('Isolated with COEP %1', CREDENTIALLESS),
            detail: perBrowser.detail,
            fix: perBrowser.fix
          }
        : {
            id: 'credentialless',
            severity: 'info',
            title: trans.__('Isolated with COEP %1', CREDENTIALLESS),
            detail: trans.__(
              'Cross-origin resources load without cookies. ' +
                'Safari does not support %1 and will not isolate this page.',
              CREDENTIALLESS
            ),
            fix: trans.__(
              'Serve %1: %2 if Safari users need isolation.',
              policy.headers.embedder,
              CREDENTIALLESS_FALLBACK
            )
          }
    );
  }
  return reasons;
}

/**
 * The sentence under the heading (which says whether the page is isolated): what that means
 * for this page, for its in-browser kernels only where it has some.
 */
function summary(facts: IFacts, page: IPage, trans: TranslationBundle): string {
  const none = page.inBrowserKernels?.length === 0;
  if (isolatedWithoutSharedMemory(facts)) {
    return none
      ? trans.__('Yet this browser does not provide SharedArrayBuffer to it.')
      : trans.__(
          'Yet this browser does not provide SharedArrayBuffer to it, so in-browser Python ' +
            'kernels cannot offer interrupts, input() or worker pools here.'
        );
  }
  if (facts.crossOriginIsolated) {
    return none
      ? trans.__(
          'SharedArrayBuffer and shared WebAssembly memory are available to its code. No ' +
            'kernel here runs in the browser, so its kernels work as they would anywhere.'
        )
      : trans.__(
          'SharedArrayBuffer and shared WebAssembly memory are available: in-browser Python ' +
            'kernels can be interrupted, read input() and run worker pools.'
        );
  }
  return none
    ? trans.__(
        'SharedArrayBuffer and shared WebAssembly memory are unavailable. No kernel here runs ' +
          'in the browser, so its kernels work as they would anywhere.'
      )
    : trans.__(
        'SharedArrayBuffer and shared WebAssembly memory are unavailable, so in-browser ' +
          'Python kernels cannot be interrupted, read input() or run worker pools.'
      );
}

/**
 * Diagnose cross-origin isolation from the facts, and from what the app knows of its page
 * (whose settings make its headers, and whether it has in-browser kernels).
 */
export function diagnose(
  facts: IFacts,
  page: IPage = UNKNOWN_PAGE,
  trans: TranslationBundle = untranslated
): IDiagnosis {
  const isolated = facts.crossOriginIsolated === true;
  const reasons = isolated
    ? isolatedReasons(facts, page, trans)
    : notIsolatedReasons(facts, page, trans);
  return {
    state: isolated ? 'isolated' : 'not-isolated',
    summary: summary(facts, page, trans),
    reasons,
    capabilities: capabilities(facts, page, trans),
    page
  };
}

/** The state known without probing: only the browser's own verdict. */
export function quickState(crossOriginIsolated: boolean): IsolationState {
  return crossOriginIsolated ? 'isolated' : 'not-isolated';
}
