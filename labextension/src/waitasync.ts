/**
 * A workaround for a race in coincident, the channel that jupyterlite-pyodide-kernel 0.8 uses
 * between the page and the kernel's worker on isolated pages (and only there). To wait for the
 * worker's answer it calls `Atomics.waitAsync(...).value.then(...)`; but when the worker has
 * already answered, waitAsync returns at once with `{ async: false, value: 'not-equal' }`, the
 * `.then` throws ("A(...).value.then is not a function"), and the kernel's reply is lost: the
 * cell stays marked as running forever. It happens a few times in a hundred requests here,
 * more often when the worker is quick to answer (an interrupted cell, an input() answered at
 * once), with or without the rest of jupyter-coi.
 *
 * The fix hands such results back in the shape coincident expects: the same value, in a
 * promise that is already resolved. Code that reads `async` gets a promise it can await, so the
 * meaning is unchanged for any caller. The kernel module captures `Atomics.waitAsync` when it
 * loads, which is when the first kernel starts: after the plugins have activated.
 */

type WaitAsyncResult = { async: boolean; value: Promise<string> | string };
type WaitAsync = ((...args: unknown[]) => WaitAsyncResult) & { jupyterCoi?: true };

/** Install the workaround once; false when there is nothing to do. */
export function settleWaitAsync(atomics: { waitAsync?: WaitAsync } = Atomics as never): boolean {
  const original = atomics.waitAsync;
  if (typeof original !== 'function' || original.jupyterCoi) {
    return false;
  }
  const settled: WaitAsync = function (...args: unknown[]) {
    const result = original.apply(atomics, args);
    return result.async ? result : { async: true, value: Promise.resolve(result.value) };
  };
  settled.jupyterCoi = true;
  atomics.waitAsync = settled;
  return true;
}
