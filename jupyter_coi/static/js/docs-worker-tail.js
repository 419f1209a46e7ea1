// jupyter-coi: what the docs' worker adds after the isolating wrapper (and JupyterLite's own
// worker, when the docs embed a JupyterLite site): an answer for every request that nobody
// answered, so that it too carries the headers. JupyterLite's worker leaves `/api/` paths to
// the browser, which would deliver a docs page under `api/` (as API references often are)
// without them; and without JupyterLite's worker, nothing would answer at all.
(() => {
  const answered = new WeakSet();
  const respondWith = FetchEvent.prototype.respondWith;
  FetchEvent.prototype.respondWith = function (response) {
    answered.add(this);
    return respondWith.call(this, response);
  };

  // Take over the docs' pages at once, as JupyterLite's worker does its own: the page script
  // reloads a page once the worker is active, and that reload must go through it.
  self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', event =>
    event.waitUntil(self.clients.claim())
  );

  self.addEventListener('fetch', event => {
    const request = event.request;
    if (answered.has(event) || request.method !== 'GET') {
      return;
    }
    if (!/^https?:$/.test(new URL(request.url).protocol)) {
      return;
    }
    event.respondWith(fetch(request));
  });
})();
