/**
 * The pool worker's script (src/pool/script.ts) is JavaScript in a string, which no compiler
 * checks: parse it here, so that a quote out of place fails a test, not every worker.
 */
import { WORKER_SOURCE } from '../../src/pool/script';

describe('the pool worker script', () => {
  it('parses', () => {
    expect(() => new Function(WORKER_SOURCE)).not.toThrow();
  });

  it('gives Pyodide the page’s compiled module, and loads what the kernel asks for later', () => {
    expect(WORKER_SOURCE).toContain('WebAssembly.instantiateStreaming =');
    expect(WORKER_SOURCE).toContain('pyodide.loadPackage(names');
  });
});
