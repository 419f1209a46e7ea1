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
  headerToken
} from './headers';

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
  /** `null` when it could not be determined. */
  available: boolean | null;
  detail: string;
}

export interface IDiagnosis {
  state: IsolationState;
  summary: string;
  reasons: IReason[];
  capabilities: ICapability[];
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

function requirement(field: IsolatingField): string {
  return `${policy.headers[field]}: ${policy.defaults[field]}`;
}

function headerReason(
  field: IsolatingField,
  verdict: HeaderVerdict,
  facts: IFacts
): IReason | null {
  const name = policy.headers[field];
  const raw = facts.headers?.[field] ?? '';
  const needs = `Isolation needs ${name} to be ${isolatingValues(field)}.`;
  const fix =
    `Have the server send "${requirement(field)}" with every page ` +
    '(jupyter-coi does this for Jupyter Server; for static hosting such as ' +
    'JupyterLite, configure the host or use a service worker).';
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

function capabilities(facts: IFacts): ICapability[] {
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
  const inputAvailable =
    facts.atomicsWaitInWorker ?? (isolated && facts.sharedArrayBuffer);
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
    {
      id: 'kernel-interrupt',
      label: 'Interrupting running code in in-browser Python kernels',
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
      label: 'A worker pool for in-browser Python (jupyter_coi.pool)',
      available: isolated && facts.sharedArrayBuffer,
      // What jupyter_coi/pool/browser.py needs: workers that the kernel waits for on
      // shared memory, which a page without isolation cannot share.
      detail:
        'from jupyter_coi.pool import WorkerPoolExecutor runs Python functions on several ' +
        'cores: each worker is a separate Pyodide interpreter in a Web Worker (like a ' +
        'process, not a thread), and the kernel waits for them on shared memory. On a page ' +
        'that is not isolated, making a pool raises NotIsolatedError.' +
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
    },
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

function notIsolatedReasons(facts: IFacts): IReason[] {
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
    const reason = headerReason(field, verdict, facts);
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

function isolatedReasons(facts: IFacts): IReason[] {
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
        `server send ${requirement('opener')} and ${requirement('embedder')}.`
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
          setting: `set ${policy.headers.embedder} to ${CREDENTIALLESS_FALLBACK} (embedder_policy).`
        }
      : facts.headers.fallbackWorker
        ? {
            who: "This site's service worker (jupyter-coi) answers",
            when: ' from it after one reload',
            setting:
              'set CrossOriginIsolationAddon.embedder_policy (jupyter_coi_embedder_policy for a ' +
              `Sphinx site) to ${CREDENTIALLESS_FALLBACK} and build the site again.`
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

/** Diagnose cross-origin isolation from the facts. */
export function diagnose(facts: IFacts): IDiagnosis {
  const isolated = facts.crossOriginIsolated === true;
  const reasons = isolated ? isolatedReasons(facts) : notIsolatedReasons(facts);
  return {
    state: isolated ? 'isolated' : 'not-isolated',
    summary: isolatedWithoutSharedMemory(facts)
      ? 'This page is cross-origin isolated, but this browser does not provide ' +
        'SharedArrayBuffer, so in-browser kernels cannot offer input() or interrupts here.'
      : isolated
        ? 'This page is cross-origin isolated: SharedArrayBuffer and shared WebAssembly memory ' +
          'are available, which in-browser kernels need for input() and for interrupts.'
        : 'This page is not cross-origin isolated: SharedArrayBuffer and shared WebAssembly ' +
          'memory are unavailable, so in-browser kernels cannot offer input() or interrupts.',
    reasons,
    capabilities: capabilities(facts)
  };
}

/** The state known without probing: only the browser's own verdict. */
export function quickState(crossOriginIsolated: boolean): IsolationState {
  return crossOriginIsolated ? 'isolated' : 'not-isolated';
}
