/**
 * The pool worker's script runs as the string that generate.py makes of src/pool/worker.js:
 * parse that string here, so that a slot filled wrongly fails a test, not every worker.
 */
import { LAYOUT } from '../../src/pool/layout';
import { WORKER_SOURCE } from '../../src/pool/script';

// Node's file system, without @types/node: jest runs these specs in Node.
declare function require(name: 'fs'): {
  readFileSync(path: string, encoding: 'utf8'): string;
};
declare const __dirname: string;

describe('the pool worker script', () => {
  it('parses', () => {
    expect(() => new Function(WORKER_SOURCE)).not.toThrow();
  });

  it('is worker.js, with the layout the page uses in its slot', () => {
    const { readFileSync } = require('fs');
    const file = readFileSync(`${__dirname}/../../src/pool/worker.js`, 'utf8');
    expect(WORKER_SOURCE).toBe(
      file.replace('__JUPYTER_COI_LAYOUT__', JSON.stringify(LAYOUT))
    );
  });

  it('gives Pyodide the page’s compiled module, and loads what the kernel asks for later', () => {
    expect(WORKER_SOURCE).toContain('WebAssembly.instantiateStreaming =');
    expect(WORKER_SOURCE).toContain('pyodide.loadPackage(names');
  });
});
