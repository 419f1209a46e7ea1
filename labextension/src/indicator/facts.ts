/**
 * What the page can find out about its own cross-origin isolation.
 *
 * `null` always means "could not be determined" (the check was not possible in
 * this browser or failed), never "no".
 */

/** The raw values of the three isolation headers; `null` when a header was absent. */
export interface IHeaderValues {
  opener: string | null;
  embedder: string | null;
  resource: string | null;
  /**
   * The server answers each browser on its own (`Vary: User-Agent`), as jupyter-coi's COEP
   * `auto` does: another browser may get another COEP value.
   */
  perBrowser?: boolean;
  /**
   * The page loads jupyter-coi's reload script for static sites: a JupyterLite site built with
   * jupyter-coi, whose service worker gives browsers without `credentialless` the fallback.
   */
  fallbackWorker?: boolean;
}

export interface IFacts {
  /** `window.crossOriginIsolated`: the browser's verdict. */
  crossOriginIsolated: boolean;
  /** `window.isSecureContext`: HTTPS or localhost. Isolation requires it. */
  secureContext: boolean;
  /** `typeof SharedArrayBuffer === 'function'`. */
  sharedArrayBuffer: boolean;
  /** `new WebAssembly.Memory({initial: 1, maximum: 1, shared: true})` succeeded. */
  wasmSharedMemory: boolean | null;
  /** `Atomics.wait` on shared memory works inside a dedicated worker. */
  atomicsWaitInWorker: boolean | null;
  /** Smallest nonzero step of `performance.now()`, in milliseconds. */
  timerResolutionMs: number | null;
  /** A service worker controls this page (`navigator.serviceWorker.controller`). */
  serviceWorkerControlled: boolean | null;
  /** The navigation that loaded this page went through a service worker. */
  navigationViaServiceWorker: boolean | null;
  /** The page is inside a frame (`window.top !== window`). */
  framed: boolean | null;
  /**
   * Whether the permissions policy lets this document be isolated
   * (`document.featurePolicy.allowsFeature('cross-origin-isolated')`, Chromium only).
   */
  isolationPermitted: boolean | null;
  /**
   * The isolation headers of a fresh request for this page's URL, or `null`
   * when they could not be read.
   */
  headers: IHeaderValues | null;
  /** The browser's user agent string, to tell engines apart in reports. */
  userAgent: string;
}
