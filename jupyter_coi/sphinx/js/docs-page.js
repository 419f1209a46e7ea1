// jupyter-coi: make a Sphinx page cross-origin isolated on a host that sends no headers.
//
// The docs pages are outside the scope of the JupyterLite site they embed (its worker serves
// `lite/` only), so the docs get a worker of their own at the root of the HTML output, which
// adds the policy's headers to everything it delivers. A page is isolated only if its own
// response carried them: the first visit and a hard reload come without them, and this
// script reloads such a page once, when the worker is active. It never reloads a page that
// its own reload produced, so a worker that does not isolate cannot cause a loop, and a
// browser without service workers (Firefox private windows) keeps the page as it is.
//
// `SITE` is rendered by `jupyter_coi.sphinx.site` from the build: the worker's file, and the
// embedded JupyterLite site's worker and version, if there is one.
(function () {
  "use strict";
  var SITE = __JUPYTER_COI_SITE__;
  var GUARD = "jupyter-coi-docs-reloaded";

  var script = document.currentScript;
  if (!script || !script.src) return;
  // This file lives in `_static/` of the HTML output, whatever the page's depth (or the
  // builder: dirhtml pages are one level deeper), so the output's root is one level up.
  var root = new URL("../", script.src);

  var container = null;
  try {
    container = navigator.serviceWorker;
  } catch (e) {}
  if (!window.isSecureContext || !container) return;

  var storage = null;
  var local = null;
  try {
    storage = window.sessionStorage;
    local = window.localStorage;
  } catch (e) {
    // Storage may be denied (sandboxed frames, some privacy settings): without a guard the
    // script never reloads.
  }

  var docsWorker = new URL(SITE.worker, root).href;
  var liteWorker = SITE.lite ? new URL(SITE.lite.worker, root).href : null;

  // JupyterLite unregisters every worker of the origin when the worker that controls its page
  // has no record of the app's version in localStorage (its way of dropping an older site's
  // worker). Its page may be controlled by either worker here, both registered by this build
  // for this version: the record keeps it from unregistering the docs' own worker.
  if (SITE.lite && local) {
    try {
      local.setItem(docsWorker + "-version", SITE.lite.version);
      local.setItem(liteWorker + "-version", SITE.lite.version);
    } catch (e) {}
  }

  // Registered on every page: registering a worker that is already registered only checks it
  // for an update, which is how a rebuilt site replaces it.
  var registrations = [container.register(docsWorker, { scope: root.href })];
  if (liteWorker) {
    // With the URL JupyterLite registers (its query included), so that it finds the
    // registration made here and does not make a second one.
    registrations.push(container.register(liteWorker, { scope: new URL(SITE.lite.scope, root).href }));
  }

  if (window.crossOriginIsolated || !storage) {
    Promise.all(registrations).catch(function (error) {
      console.warn("jupyter-coi: a service worker could not be registered:", error);
    });
    return;
  }

  // The guard is the time of the last automatic reload: a page whose navigation started right
  // after it is that reload's result. (A boolean would not do: Chromium keeps one
  // sessionStorage for a tab's isolated pages and another for its other ones.)
  function now() {
    return performance.timeOrigin + performance.now();
  }
  function producedByOurReload() {
    var at = Number(storage.getItem(GUARD));
    return at > 0 && performance.timeOrigin > at - 1000 && performance.timeOrigin < at + 3000;
  }

  var decided = false;
  function reloadOnce(reason) {
    if (decided) return;
    decided = true;
    try {
      if (producedByOurReload()) {
        console.warn(
          "jupyter-coi: this page is still not cross-origin isolated after a reload through " +
            "the service worker (" + reason + "); not reloading again."
        );
        return;
      }
      storage.setItem(GUARD, String(now()));
    } catch (e) {
      return;
    }
    window.location.reload();
  }

  function active(registration) {
    if (registration.active) return Promise.resolve();
    var worker = registration.installing || registration.waiting;
    if (!worker) return Promise.resolve();
    return new Promise(function (resolve) {
      worker.addEventListener("statechange", function () {
        if (worker.state === "activated" || worker.state === "redundant") resolve();
      });
    });
  }

  // The reload waits for this load to finish: Chromium turns a reload started while a hard
  // reload is still loading into another hard reload, which bypasses the worker again.
  function afterLoad(reason) {
    if (document.readyState === "complete") {
      reloadOnce(reason);
    } else {
      window.addEventListener("load", function () {
        reloadOnce(reason);
      });
    }
  }

  Promise.all(registrations)
    .then(function (found) {
      return Promise.all(found.map(active));
    })
    .then(
      function () {
        afterLoad(container.controller ? "controlled" : "registered");
      },
      function (error) {
        // No worker, no isolation to reload for: the page stays as it is.
        console.warn("jupyter-coi: a service worker could not be registered:", error);
      }
    );
})();
