// jupyter-coi: cross-origin isolation inside JupyterLite's service worker.
// (marker: jupyter-coi-service-worker-wrapper; a build that finds it never wraps this file again)
//
// Static hosts such as GitHub Pages cannot send Cross-Origin-Opener-Policy and
// Cross-Origin-Embedder-Policy, so the page cannot be cross-origin isolated by headers. A service
// worker can add them to the responses it delivers. JupyterLite registers its own worker as
// `service-worker.js` at the site root and unregisters every other worker of the origin, so a
// second worker beside it would not survive: the headers are added here, in the file JupyterLite
// registers, which then runs JupyterLite's own worker (renamed) unchanged. Its drive and stdin
// API and its cache option keep working because its code is not touched at all.
//
// The values below are rendered by `jupyter_coi.lite.serviceworker` from the policy
// (`jupyter_coi.policy`) when the site is built: this template holds no header value of its own.
'use strict';

(() => {
  const HEADERS = __JUPYTER_COI_HEADERS__;
  // Which browsers honour COEP credentialless, and what the others get instead (the policy's
  // rule, as data). A page given credentialless by a browser without it is not isolated at all.
  const CREDENTIALLESS = __JUPYTER_COI_CREDENTIALLESS__;

  function credentiallessSupported(userAgent) {
    if (new RegExp(CREDENTIALLESS.never).test(userAgent)) {
      return false;
    }
    for (const [product, first] of Object.entries(CREDENTIALLESS.since)) {
      const match = new RegExp(product + '/(\\d+)').exec(userAgent);
      if (match) {
        return Number(match[1]) >= first;
      }
    }
    return false;
  }

  // The browsers' rule, case kept (policy.token's; labextension/test/header-tokens.json).
  function token(value) {
    return value.split(';')[0].trim();
  }

  // With credentialless configured, a browser without it gets the fallback: in the responses
  // this worker completes, and in place of the credentialless that the site's host files make
  // the server send (to every browser alike). Decided once: a worker runs in one browser.
  const EMBEDDER = CREDENTIALLESS.header;
  const FALLBACK =
    token(HEADERS[EMBEDDER] || '') === CREDENTIALLESS.value &&
    !credentiallessSupported(String(self.navigator && self.navigator.userAgent))
      ? CREDENTIALLESS.fallback
      : null;
  const ADDED = FALLBACK
    ? Object.assign({}, HEADERS, { [EMBEDDER]: FALLBACK })
    : HEADERS;

  // Under credentialless the browser loads a cross-origin no-cors resource (an image, a map
  // tile, a script) without CORP because it sends no cookies for it. JupyterLite's worker fetches
  // every GET itself, with the request's credentials, and Chromium then blocks the response for
  // lacking CORP (it was requested with credentials). Such a request is left to the browser, as
  // on a page without a worker: this listener runs before JupyterLite's and keeps it from
  // answering. JupyterLite's cache option does not keep these responses, which it could not
  // deliver to the page anyway.
  if (token(ADDED[EMBEDDER] || '') === CREDENTIALLESS.value) {
    self.addEventListener('fetch', event => {
      const request = event.request;
      if (
        request.mode === 'no-cors' &&
        new URL(request.url).origin !== self.location.origin
      ) {
        event.stopImmediatePropagation();
      }
    });
  }

  // The headers to set on a response: the policy's that it lacks, and the fallback in place
  // of a credentialless value where that would not isolate.
  function changes(headers) {
    return Object.entries(ADDED).filter(([name]) => {
      const sent = headers.get(name);
      if (sent === null) {
        return true;
      }
      return (
        FALLBACK !== null &&
        name === EMBEDDER &&
        token(sent) === CREDENTIALLESS.value
      );
    });
  }

  // Statuses whose response must have a null body: the Response constructor throws when it is
  // given one with a body, even an empty stream.
  const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

  function isolate(response, request) {
    // Anything that is not a Response is left for respondWith to reject, as it would have.
    if (!(response instanceof Response)) {
      return response;
    }
    // Opaque responses hide their headers and cannot be rebuilt without losing what makes them
    // usable (their status and body stay hidden from us); an error stays an error. The browser
    // decides about them itself: under `require-corp` a cross-origin no-cors response without
    // Cross-Origin-Resource-Policy is blocked, under `credentialless` it is allowed.
    if (
      response.type === 'opaque' ||
      response.type === 'opaqueredirect' ||
      response.type === 'error' ||
      response.status === 0
    ) {
      return response;
    }
    // Set if absent: a header the server (or JupyterLite) already sent is theirs, but for the
    // credentialless fallback above.
    const missing = changes(response.headers);
    if (missing.length === 0) {
      return response;
    }
    // A constructed Response has no URL and is never `redirected`: rebuilding a response that
    // followed a redirect would make the page believe it came from the URL it asked for (and
    // resolve relative URLs against that). Answer with the redirect instead; the browser follows
    // it, and the final request comes through this worker again and is isolated then.
    if (
      response.redirected &&
      response.url &&
      request &&
      request.redirect === 'follow' &&
      (request.method === 'GET' || request.method === 'HEAD')
    ) {
      if (response.body) {
        response.body.cancel().catch(() => {});
      }
      return Response.redirect(response.url, 307);
    }
    // The constructor only accepts 200-599; other statuses never come from fetch anyway.
    if (response.status < 200 || response.status > 599) {
      return response;
    }
    const headers = new Headers(response.headers);
    for (const [name, value] of missing) {
      headers.set(name, value);
    }
    // The body is passed on as a stream, not read: large files and 206 ranges go through
    // unbuffered, and Content-Range / Content-Length stay as the server sent them.
    const body = NULL_BODY_STATUS.has(response.status) ? null : response.body;
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers
    });
  }

  function isolateOrKeep(response, request) {
    // Never turn a response the page could have had into a failure: if rebuilding it fails for a
    // reason not foreseen above, it goes through as it was, only not isolated.
    try {
      return isolate(response, request);
    } catch (error) {
      console.warn(
        'jupyter-coi: response passed through without isolation headers:',
        error
      );
      return response;
    }
  }

  // Every response JupyterLite's worker gives goes through respondWith, whichever listener calls
  // it and however it was made (network, cache, or the drive API's answer over its
  // BroadcastChannel). Wrapping respondWith catches them all without reading or copying any of
  // its code, and without a listener of our own that would have to run first and answer before
  // it (a second respondWith on one event throws).
  const respondWith = FetchEvent.prototype.respondWith;
  FetchEvent.prototype.respondWith = function (response) {
    const request = this.request;
    return respondWith.call(
      this,
      Promise.resolve(response).then(r => isolateOrKeep(r, request))
    );
  };
})();

// JupyterLite's own worker, as it was built. The browser checks imported scripts for updates
// with the worker itself, so a rebuilt site replaces both.
importScripts(__JUPYTER_COI_ORIGINAL__);
