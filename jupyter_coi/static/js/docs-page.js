// jupyter-coi: make a Sphinx page cross-origin isolated on a host that sends no headers.
//
// The docs pages are outside the scope of the JupyterLite site they embed (its worker serves
// `lite/` only), so the docs get a worker of their own at the root of the HTML output, which
// adds the policy's headers to everything it delivers. This part registers it, and the
// JupyterLite site's worker, from every page; the reload that follows it in this file (the
// same as in JupyterLite's pages) reloads a page once, when it came without the headers.
//
// `SITE` is rendered by `jupyter_coi.static.htmlsite` from the build: the worker's file, and the
// embedded JupyterLite site's worker and version, if there is one.
(function () {
  'use strict';
  var SITE = __JUPYTER_COI_SITE__;

  var script = document.currentScript;
  if (!script || !script.src || !window.isSecureContext) {
    return;
  }
  var container = null;
  try {
    container = navigator.serviceWorker;
  } catch (e) {
    // Some browsers throw here where storage is denied: no worker, then.
  }
  if (!container) {
    return;
  }
  // This file lives in `_static/` of the HTML output, whatever the page's depth (or the
  // builder: dirhtml pages are one level deeper), so the output's root is one level up.
  var root = new URL('../', script.src);
  var docsWorker = new URL(SITE.worker, root).href;
  var liteWorker = SITE.lite ? new URL(SITE.lite.worker, root).href : null;

  // JupyterLite unregisters every worker of the origin when the worker that controls its page
  // has no record of the app's version in localStorage (its way of dropping an older site's
  // worker). Its page may be controlled by either worker here, both registered by this build
  // for this version: the record keeps it from unregistering the docs' own worker.
  if (SITE.lite && SITE.lite.version) {
    try {
      window.localStorage.setItem(docsWorker + '-version', SITE.lite.version);
      window.localStorage.setItem(liteWorker + '-version', SITE.lite.version);
    } catch (e) {
      // Storage denied: nothing to record in; the workers are registered all the same.
    }
  }

  // Registered on every page: registering a worker that is already registered only checks it
  // for an update, which is how a rebuilt site replaces it.
  function register(url, scope) {
    container.register(url, { scope: scope }).catch(function (error) {
      console.warn(
        'jupyter-coi: the service worker ' + url + ' could not be registered:',
        error
      );
    });
  }
  register(docsWorker, root.href);
  if (liteWorker) {
    // With the URL JupyterLite registers (its query included), so that it finds the
    // registration made here and does not make a second one.
    register(liteWorker, new URL(SITE.lite.scope, root).href);
  }
})();
