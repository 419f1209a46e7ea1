/**
 * Pyodide's WebAssembly, compiled once per page and handed to every pool worker.
 *
 * A worker that gets the compiled module only instantiates it. Workers that compile the
 * same 10 MB each, at the same time, slow each other down (in Firefox, each of two started
 * at once took about 1.5 times as long as one alone), and they share the compiled code,
 * which each would otherwise hold a copy of.
 */

const compiled = new Map<string, Promise<WebAssembly.Module | null>>();

/**
 * The compiled `pyodide.asm.wasm` under `indexURL`, or `null` if it cannot be had (the
 * worker then compiles its own, as Pyodide does when nothing is given).
 */
export function compiledPyodide(
  indexURL: string
): Promise<WebAssembly.Module | null> {
  let module = compiled.get(indexURL);
  if (!module) {
    module = compile(new URL('pyodide.asm.wasm', indexURL).href);
    compiled.set(indexURL, module);
  }
  return module;
}

async function compile(url: string): Promise<WebAssembly.Module | null> {
  try {
    if (typeof WebAssembly.compileStreaming === 'function') {
      return await WebAssembly.compileStreaming(fetch(url));
    }
    const response = await fetch(url);
    return await WebAssembly.compile(await response.arrayBuffer());
  } catch (error) {
    console.warn(
      `jupyter-coi | the pool workers compile Pyodide each: ${url} did not compile on the page (${error})`
    );
    return null;
  }
}
