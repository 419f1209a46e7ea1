/**
 * What each pool worker runs: load Pyodide from where the kernel loaded it, load the
 * kernel's packages, write `jupyter_coi.pool` into its file system and serve its mailbox.
 *
 * Plain JavaScript in a string, started from a Blob URL as a module worker (Pyodide 0.28 and
 * later refuse classic workers): the worker needs no file of its own on the server (this
 * extension's files are bundled by module federation), and a string survives any bundler's
 * minifier. A Blob worker inherits the page's isolation.
 */
import { LAYOUT } from './layout';

const SOURCE = `
'use strict';
const LAYOUT = ${JSON.stringify(LAYOUT)};
function fail(mailbox, doorbell, reason) {
  const header = new Int32Array(mailbox, 0, LAYOUT.headerSlots);
  const text = new TextEncoder().encode(reason).slice(0, LAYOUT.window);
  new Uint8Array(mailbox, LAYOUT.headerBytes + LAYOUT.window, text.length).set(text);
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
  const mark = what => marks.push(what + ' ' + Math.round(performance.now() - t0) + ' ms');
  try {
    const { loadPyodide } = await import(new URL('pyodide.mjs', job.indexURL).href);
    const options = { indexURL: job.indexURL };
    if (job.lockFileURL) options.lockFileURL = job.lockFileURL;
    if (job.packageBaseUrl) options.packageBaseUrl = job.packageBaseUrl;
    mark('imported');
    const pyodide = await loadPyodide(options);
    mark('Pyodide loaded');
    pyodide.setInterruptBuffer(
      new Int32Array(job.mailbox, LAYOUT.header.interrupt * 4, 1)
    );
    if (job.packages.length) {
      await pyodide.loadPackage(job.packages, { messageCallback: () => {} });
      mark(job.packages.join(', ') + ' loaded');
    }
    const site = pyodide.runPython('import sysconfig; sysconfig.get_paths()["purelib"]');
    for (const [path, text] of Object.entries(job.files)) {
      const file = site + '/' + path;
      pyodide.FS.mkdirTree(file.slice(0, file.lastIndexOf('/')));
      pyodide.FS.writeFile(file, text);
    }
    const serve = pyodide.pyimport('jupyter_coi.pool.worker').serve;
    mark('ready');
    console.debug('jupyter-coi | ' + self.name + ': ' + marks.join(', '));
    serve(job.mailbox, job.doorbell);
  } catch (error) {
    fail(job.mailbox, job.doorbell, String((error && error.message) || error));
  }
};
`;

let url: string | null = null;

/** The Blob URL of the worker script, made once per page. */
export function workerScriptUrl(): string {
  if (!url) {
    url = URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
  }
  return url;
}
