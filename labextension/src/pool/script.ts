/**
 * What each pool worker runs: worker.js, inlined by labextension/scripts/generate.py as
 * worker.json (it says why), started from a Blob URL.
 */
import worker from './worker.json';

export const WORKER_SOURCE: string = worker.source;

let url: string | null = null;

/** The Blob URL of the worker script, made once per page. */
export function workerScriptUrl(): string {
  if (!url) {
    url = URL.createObjectURL(
      new Blob([WORKER_SOURCE], { type: 'text/javascript' })
    );
  }
  return url;
}
