// jupyter-coi: reload a JupyterLite page once, so that its service worker delivers it isolated.
//
// A page is cross-origin isolated only if its own response carried the headers. On a host that
// cannot send them (GitHub Pages) they come from the service worker, which only sees the
// requests of pages it controls: the first visit (no worker yet) and a hard reload (which
// bypasses the worker) load the page without them. One reload, once the worker is active, gets
// the page through it. This script is the only place that reloads, and it never reloads a page
// that its own reload produced, so a worker that does not isolate cannot cause a loop.
(function () {
  'use strict';
  var GUARD = 'jupyter-coi-reloaded';
  var tag = document.currentScript;
  // The site's root, where the worker is: this script is beside it.
  var script = tag ? tag.src : '';

  var storage = null;
  try {
    storage = window.sessionStorage;
  } catch (e) {
    // Storage may be denied (sandboxed frames, some privacy settings): without a guard the
    // script never reloads.
  }

  // Isolated already, by real headers or by the worker: nothing to do.
  if (window.crossOriginIsolated) {
    return;
  }
  // A frame is isolated only inside an isolated page: in one that is not (a docs page on its
  // first visit, before its own reload), reloading the frame cannot help.
  try {
    if (window.parent !== window && !window.parent.crossOriginIsolated) {
      return;
    }
  } catch (e) {
    // A parent of another origin does not say; reloading may help if it is isolated.
  }
  // Service workers exist only in secure contexts (https, or http on localhost), and not at all
  // in some modes (Firefox private browsing): no worker, no isolation to reload for.
  if (!window.isSecureContext || !storage) {
    return;
  }
  var container = null;
  try {
    container = navigator.serviceWorker;
  } catch (e) {
    // Some browsers throw here where storage is denied: no worker, then.
  }
  if (!container || !script) {
    return;
  }

  // The guard is the time of the last automatic reload. A page whose navigation started right
  // after it is that reload's result: if it is still not isolated, another reload would not
  // help. A boolean would not do: Chromium keeps one sessionStorage for the tab's non-isolated
  // pages and another for its isolated ones (their COOP puts them in a browsing context group
  // of their own), so an isolated page cannot clear what a non-isolated one set, and a later
  // hard reload would find the flag and stay unisolated.
  function now() {
    return performance.timeOrigin + performance.now();
  }
  function producedByOurReload() {
    var at = Number(storage.getItem(GUARD));
    // The reload's navigation starts within milliseconds of the call (Chromium: ~2 ms); the
    // margins cover clocks of two processes and a busy machine. A user's own reload comes
    // later than that, and gets its one automatic reload again.
    return (
      at > 0 &&
      performance.timeOrigin > at - 1000 &&
      performance.timeOrigin < at + 3000
    );
  }

  var decided = false;
  function reloadOnce(reason) {
    if (decided) {
      return;
    }
    decided = true;
    try {
      if (producedByOurReload()) {
        console.warn(
          'jupyter-coi: this page is still not cross-origin isolated after a reload through ' +
            'the service worker (' +
            reason +
            '); not reloading again.'
        );
        return;
      }
      // Set before reloading: a guard that cannot be written means no reload.
      storage.setItem(GUARD, String(now()));
    } catch (e) {
      return;
    }
    window.location.reload();
  }

  if (container.controller) {
    // Delivered by a worker, yet not isolated: the worker was not ours yet (an older site's,
    // being replaced); the reload's navigation goes through the current one.
    reloadOnce('controlled');
    return;
  }
  // Not controlled: a first visit (JupyterLite registers its worker now, and it claims the page)
  // or a hard reload (the worker is active but was bypassed). Either way, once a worker is
  // active for this page, a normal reload is delivered by it.
  // The reload waits for this load to finish: Chromium turns a reload started while a hard
  // reload is still loading into another hard reload, which bypasses the worker again.
  function afterLoad(reason) {
    if (document.readyState === 'complete') {
      reloadOnce(reason);
    } else {
      window.addEventListener('load', function () {
        reloadOnce(reason);
      });
    }
  }
  container.addEventListener('controllerchange', function () {
    afterLoad('controllerchange');
  });
  container.ready.then(function () {
    afterLoad('ready');
  });
  // A page that starts no app of JupyterLite's (Voici's tree of dashboards; the build marks its
  // tag) has nothing that registers the worker: with no registration once the page has loaded,
  // register it here, by the URL JupyterLite's apps register it with (beside this script, with
  // the site's cache setting), so that an app page opened next gets the same registration
  // rather than a replacement.
  if (!tag.hasAttribute('data-register-worker')) {
    return;
  }
  window.addEventListener('load', function () {
    container
      .getRegistration()
      .then(function (registration) {
        if (registration) {
          return;
        }
        var config = new URL('jupyter-lite.json', script);
        return fetch(config.href, { cache: 'no-store' })
          .then(function (response) {
            return response.ok ? response.json() : {};
          })
          .catch(function () {
            return {};
          })
          .then(function (site) {
            var data = (site && site['jupyter-config-data']) || {};
            var worker = new URL('service-worker.js', script);
            var cache = String(data.enableServiceWorkerCache || 'false');
            worker.searchParams.set('enableCache', cache);
            return container.register(worker.href);
          });
      })
      .catch(function (e) {
        console.debug('jupyter-coi: could not register the service worker:', e);
      });
  });
})();
