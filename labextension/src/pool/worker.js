// What each pool worker runs: load Pyodide from where the kernel loaded it, load the kernel's
// packages, write `jupyter_coi.pool` into its file system and serve its mailbox.
//
// script.ts starts it from a Blob URL as a module worker (Pyodide 0.28 and later refuse
// classic workers): the worker needs no file of its own on the server (this extension's files
// are bundled by module federation), and a Blob worker inherits the page's isolation. So the
// bundle carries this file as a string, which survives any bundler's minifier:
// labextension/scripts/generate.py writes it into worker.json, the mailbox's layout
// (layout.json) in place of the slot below.
const LAYOUT = __JUPYTER_COI_LAYOUT__;

function fail(mailbox, doorbell, reason) {
  const header = new Int32Array(mailbox, 0, LAYOUT.headerSlots);
  const text = new TextEncoder().encode(reason).slice(0, LAYOUT.window);
  new Uint8Array(mailbox, LAYOUT.headerBytes + LAYOUT.window, text.length).set(
    text
  );
  Atomics.store(header, LAYOUT.header.from_length, text.length);
  Atomics.store(header, LAYOUT.header.state, LAYOUT.states.failed);
  const bell = new Int32Array(doorbell);
  Atomics.add(bell, LAYOUT.doorbell, 1);
  Atomics.notify(bell, LAYOUT.doorbell);
}

self.onmessage = async event => {
  self.onmessage = null;
  const job = event.data;
  const t0 = performance.now();
  const marks = [];
  const mark = what =>
    marks.push(what + ' ' + Math.round(performance.now() - t0) + ' ms');
  try {
    const realFetch = self.fetch.bind(self);
    if (job.module) {
      // Pyodide fetches its wasm and instantiates it with instantiateStreaming: answer the
      // fetch with a stand-in and instantiate the page's compiled module instead. Not even
      // fetched: in Chromium, a download left unread holds the browser's cache entry, and
      // every other worker's fetch of the same file waits for it.
      const wasmUrl = new URL('pyodide.asm.wasm', job.indexURL).href;
      const standIns = new WeakSet();
      self.fetch = (input, init) => {
        const url =
          typeof input === 'string' || input instanceof URL
            ? String(input)
            : input.url;
        if (new URL(url, job.indexURL).href !== wasmUrl) {
          return realFetch(input, init);
        }
        const standIn = new Response(new Uint8Array(0), {
          headers: { 'Content-Type': 'application/wasm' }
        });
        standIns.add(standIn);
        return Promise.resolve(standIn);
      };
      const streaming = WebAssembly.instantiateStreaming.bind(WebAssembly);
      WebAssembly.instantiateStreaming = async (source, imports) => {
        const response = await source;
        if (!standIns.has(response)) {
          return streaming(response, imports);
        }
        try {
          const instance = await WebAssembly.instantiate(job.module, imports);
          return { instance, module: job.module };
        } catch (error) {
          console.debug(
            'jupyter-coi | ' +
              self.name +
              ': the Pyodide that the page compiled did not instantiate: ' +
              error
          );
          return streaming(realFetch(wasmUrl), imports);
        }
      };
    }
    const { loadPyodide } = await import(
      new URL('pyodide.mjs', job.indexURL).href
    );
    const options = { indexURL: job.indexURL };
    if (job.lockFileURL) {
      options.lockFileURL = job.lockFileURL;
    }
    if (job.packageBaseUrl) {
      options.packageBaseUrl = job.packageBaseUrl;
    }
    mark('imported');
    const pyodide = await loadPyodide(options);
    self.fetch = realFetch;
    mark(
      job.module ? 'Pyodide loaded (compiled by the page)' : 'Pyodide loaded'
    );
    pyodide.setInterruptBuffer(
      new Int32Array(job.mailbox, LAYOUT.header.interrupt * 4, 1)
    );
    if (job.packages.length) {
      await pyodide.loadPackage(job.packages, { messageCallback: () => {} });
      mark(job.packages.join(', ') + ' loaded');
    }
    // sysconfig would say it too, at the cost of importing it.
    const site = pyodide.runPython(
      'import sys; [p for p in sys.path if p.endswith("site-packages")][0]'
    );
    for (const [path, text] of [
      ...Object.entries(job.sources),
      ...Object.entries(job.files)
    ]) {
      const file = site + '/' + path;
      pyodide.FS.mkdirTree(file.slice(0, file.lastIndexOf('/')));
      pyodide.FS.writeFile(file, text);
    }
    const serve = pyodide.pyimport('jupyter_coi.pool.worker').serve;
    mark('ready');
    console.debug('jupyter-coi | ' + self.name + ': ' + marks.join(', '));
    // serve returns only to have packages loaded, which the kernel loaded after this worker
    // started; then it serves again.
    for (;;) {
      const wanted = serve(job.mailbox, job.doorbell);
      const names = wanted.toJs();
      wanted.destroy();
      await pyodide.loadPackage(names, { messageCallback: () => {} });
      console.debug(
        'jupyter-coi | ' + self.name + ': loaded ' + names.join(', ')
      );
    }
  } catch (error) {
    fail(job.mailbox, job.doorbell, String((error && error.message) || error));
  }
};
