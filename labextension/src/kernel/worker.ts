import type { IKernel } from '@jupyterlite/services';

/**
 * The Web Worker an in-browser kernel runs in, or null. Found among the kernel object's own
 * fields by type rather than by a private name, which differs between kernels and versions.
 * It is the one way to the kernel's worker: only `postMessage` on it carries a
 * SharedArrayBuffer to the page (Chromium drops it from a BroadcastChannel).
 */
export function findWorker(kernel: IKernel): Worker | null {
  if (typeof Worker === 'undefined') {
    return null;
  }
  for (const value of Object.values(kernel)) {
    if (value instanceof Worker) {
      return value;
    }
  }
  return null;
}
