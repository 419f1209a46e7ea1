/**
 * Gathers the facts a page can find out about itself. Every check is guarded:
 * the probe never throws and never logs; what it cannot learn it reports as `null`.
 */
import policy from '../policy.json';
import { IFacts, IHeaderValues } from './facts';

/** How long the worker gets to answer before `atomicsWaitInWorker` is unknown. */
const WORKER_TIMEOUT_MS = 3000;
/** Bounds of the timer-resolution loop. */
const TIMER_MAX_MS = 25;
const TIMER_MAX_STEPS = 200;

/**
 * Run every check and return the facts. The headers are read from a fresh request for
 * `headersUrl`, by default the page's own URL.
 */
export async function probe(
  win: Window = window,
  headersUrl?: string
): Promise<IFacts> {
  const [atomicsWaitInWorker, headers] = await Promise.all([
    atomicsWaitInWorkerWorks(win),
    readHeaders(win, headersUrl)
  ]);
  return {
    crossOriginIsolated: win.crossOriginIsolated === true,
    secureContext: win.isSecureContext === true,
    sharedArrayBuffer: typeof (win as any).SharedArrayBuffer === 'function',
    wasmSharedMemory: wasmSharedMemoryWorks(win),
    atomicsWaitInWorker,
    timerResolutionMs: timerResolution(win),
    serviceWorkerControlled: serviceWorkerControlled(win),
    navigationViaServiceWorker: navigationViaServiceWorker(win),
    framed: isFramed(win),
    isolationPermitted: isolationPermitted(win),
    headers,
    userAgent: String(win.navigator?.userAgent ?? '')
  };
}

/** Can a shared WebAssembly memory (what Wasm threads need) be created? */
export function wasmSharedMemoryWorks(win: Window): boolean | null {
  const wasm = (win as any).WebAssembly;
  if (!wasm || typeof wasm.Memory !== 'function') {
    return null;
  }
  try {
    const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    const Shared = (win as any).SharedArrayBuffer;
    // Some engines construct the memory but hand back a non-shared buffer.
    return typeof Shared === 'function'
      ? memory.buffer instanceof Shared
      : true;
  } catch {
    return false;
  }
}

/** The source of the probing worker: tries Atomics.wait on shared memory. */
const WORKER_SOURCE = `
self.onmessage = function () {
  var result;
  try {
    var cell = new Int32Array(new SharedArrayBuffer(4));
    result = Atomics.wait(cell, 0, 0, 1) === 'timed-out';
  } catch (e) {
    result = false;
  }
  self.postMessage(result);
};
`;

/**
 * Does `Atomics.wait` work in a dedicated worker? That is what synchronous
 * `input()` in in-browser kernels relies on. Bounded by a timeout.
 */
export function atomicsWaitInWorkerWorks(win: Window): Promise<boolean | null> {
  const W = (win as any).Worker;
  const B = (win as any).Blob;
  const U = (win as any).URL;
  if (
    typeof W !== 'function' ||
    typeof B !== 'function' ||
    !U?.createObjectURL
  ) {
    return Promise.resolve(null);
  }
  return new Promise<boolean | null>(resolve => {
    let url = '';
    let worker: Worker | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (value: boolean | null) => {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      try {
        worker?.terminate();
      } catch {
        // Already gone.
      }
      if (url) {
        U.revokeObjectURL(url);
      }
      resolve(value);
    };
    try {
      url = U.createObjectURL(
        new B([WORKER_SOURCE], { type: 'text/javascript' })
      );
      worker = new W(url) as Worker;
      worker.onmessage = (event: MessageEvent) => finish(event.data === true);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        finish(null);
      };
      timer = setTimeout(() => finish(null), WORKER_TIMEOUT_MS);
      worker.postMessage(null);
    } catch {
      finish(null);
    }
  });
}

/** Smallest nonzero step of `performance.now()` seen in a short, bounded loop. */
export function timerResolution(win: Window): number | null {
  const perf = win.performance;
  if (!perf || typeof perf.now !== 'function') {
    return null;
  }
  const start = perf.now();
  let last = start;
  let smallest = Infinity;
  let steps = 0;
  while (steps < TIMER_MAX_STEPS) {
    const now = perf.now();
    if (now - start > TIMER_MAX_MS) {
      break;
    }
    const step = now - last;
    if (step > 0) {
      smallest = Math.min(smallest, step);
      last = now;
      steps++;
    }
  }
  return Number.isFinite(smallest) ? Math.round(smallest * 1e6) / 1e6 : null;
}

export function serviceWorkerControlled(win: Window): boolean | null {
  try {
    const container = (win.navigator as any)?.serviceWorker;
    if (!container) {
      // No service worker support here (e.g. insecure context): nothing controls us.
      return false;
    }
    return !!container.controller;
  } catch {
    // Some sandboxed frames throw on access.
    return null;
  }
}

export function navigationViaServiceWorker(win: Window): boolean | null {
  try {
    const entries = win.performance?.getEntriesByType?.('navigation') as
      PerformanceNavigationTiming[] | undefined;
    const entry = entries?.[0];
    if (!entry || typeof entry.workerStart !== 'number') {
      return null;
    }
    return deliveredByWorker(
      entry.workerStart,
      entry.transferSize,
      serviceWorkerControlled(win)
    );
  } catch {
    return null;
  }
}

/**
 * Whether a navigation's timing says a service worker delivered the page. Engines differ
 * (w3c/navigation-timing#199): Chromium sets `workerStart` when a worker handled the request;
 * Firefox leaves it 0 for navigations even then, and its page has no transfer size. A page that
 * came over the network has one (Chromium counts a worker's own fetch too); one without, under a
 * worker, came from that worker or from the HTTP cache, which the timing does not tell apart.
 */
export function deliveredByWorker(
  workerStart: number,
  transferSize: number | undefined,
  controlled: boolean | null
): boolean | null {
  if (workerStart > 0) {
    return true;
  }
  if (typeof transferSize !== 'number' || transferSize > 0) {
    return typeof transferSize === 'number' ? false : null;
  }
  return controlled === false ? false : null;
}

export function isFramed(win: Window): boolean | null {
  try {
    return win.top !== win.self;
  } catch {
    // Only a cross-origin parent makes this throw, so we are framed.
    return true;
  }
}

export function isolationPermitted(win: Window): boolean | null {
  try {
    const featurePolicy = (win.document as any)?.featurePolicy;
    if (!featurePolicy || typeof featurePolicy.allowsFeature !== 'function') {
      return null;
    }
    const features: string[] =
      typeof featurePolicy.features === 'function'
        ? featurePolicy.features()
        : [];
    if (!features.includes('cross-origin-isolated')) {
      return null;
    }
    return featurePolicy.allowsFeature('cross-origin-isolated') === true;
  } catch {
    return null;
  }
}

/**
 * Request this page's URL again and read the isolation headers of the answer.
 *
 * GET, not HEAD: Jupyter Server's page handlers answer HEAD with 405, which the
 * browser logs as a console error. The body is discarded unread.
 */
/**
 * The id of the script tag by which jupyter-coi's JupyterLite addon loads its reload script
 * (`SCRIPT_ID` in jupyter_coi/static/serviceworker.py, which a unit test compares).
 */
export const RELOAD_SCRIPT_ID = 'jupyter-coi-reload';

/** Whether a `Vary` header value names `header` (or `*`). */
export function varies(vary: string | null, header: string): boolean {
  return (vary ?? '')
    .split(',')
    .map(name => name.trim().toLowerCase())
    .some(name => name === header || name === '*');
}

export async function readHeaders(
  win: Window,
  headersUrl?: string
): Promise<IHeaderValues | null> {
  const doFetch = (win as any).fetch as typeof fetch | undefined;
  if (typeof doFetch !== 'function') {
    return null;
  }
  const url = headersUrl ?? win.location.href.split('#')[0];
  try {
    const response = await doFetch.call(win, url, {
      method: 'GET',
      cache: 'no-store',
      credentials: 'same-origin'
    });
    void response.body?.cancel().catch(() => undefined);
    if (!response.ok) {
      return null;
    }
    return {
      opener: response.headers.get(policy.headers.opener),
      embedder: response.headers.get(policy.headers.embedder),
      resource: response.headers.get(policy.headers.resource),
      perBrowser: varies(response.headers.get('Vary'), 'user-agent'),
      fallbackWorker: !!win.document?.getElementById(RELOAD_SCRIPT_ID)
    };
  } catch {
    return null;
  }
}
