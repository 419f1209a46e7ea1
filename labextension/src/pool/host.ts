/**
 * The page's half of a Pyodide kernel's worker pool (`jupyter_coi/pool/browser.py`): start
 * the Web Workers that the kernel asks for, replace or stop them when it says, and stop all
 * of them when the kernel is restarted or shut down.
 *
 * The page does this because the kernel cannot: a worker started by the kernel's own worker
 * never runs while a cell blocks it, but the page's event loop runs all the time, and the
 * kernel's `postMessage` reaches it while the cell still runs. The page never touches the
 * tasks; they cross the shared memory between the kernel and each worker.
 */
import type { IKernel } from '@jupyterlite/services';
import { POOL_FILES } from '../kernel/bundle';
import type { IKernelSetupUser } from '../kernel/setup';
import {
  IPoolRequest,
  LAYOUT,
  MESSAGE_KEY,
  ring,
  writeFailure
} from './layout';
import { workerScriptUrl } from './script';

type Spawn = (name: string) => Worker;

export class PoolHost {
  /**
   * @param kernelWorker the kernel's Web Worker, whose messages carry the requests
   * @param label names the workers in the browser's developer tools
   */
  constructor(
    private readonly _kernelWorker: Worker,
    private readonly _label: string,
    private readonly _spawn: Spawn = name =>
      new Worker(workerScriptUrl(), { name, type: 'module' })
  ) {
    this._listen = (event: MessageEvent) => {
      const request = event.data?.[MESSAGE_KEY] as IPoolRequest | undefined;
      if (request && typeof request === 'object') {
        this.handle(request);
      }
    };
    _kernelWorker.addEventListener('message', this._listen);
  }

  /** How many pool workers of this kernel are running. */
  get workerCount(): number {
    let count = 0;
    for (const pool of this._pools.values()) {
      count += pool.size;
    }
    return count;
  }

  handle(request: IPoolRequest): void {
    if (this._disposed) {
      return;
    }
    switch (request.op) {
      case 'spawn':
      case 'replace':
        for (const entry of request.workers ?? []) {
          this._stop(request.pool, entry.number);
          this._start(request, entry.number, entry.mailbox);
        }
        break;
      case 'close':
        for (const number of [
          ...(this._pools.get(request.pool)?.keys() ?? [])
        ]) {
          this._stop(request.pool, number);
        }
        this._pools.delete(request.pool);
        break;
    }
  }

  /** Stop every worker: the kernel is gone. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._kernelWorker.removeEventListener('message', this._listen);
    for (const [pool, workers] of this._pools) {
      for (const number of [...workers.keys()]) {
        this._stop(pool, number);
      }
    }
    this._pools.clear();
  }

  private _start(
    request: IPoolRequest,
    number: number,
    mailbox: SharedArrayBuffer
  ): void {
    const doorbell = request.doorbell;
    if (
      !(mailbox instanceof SharedArrayBuffer) ||
      !(doorbell instanceof SharedArrayBuffer)
    ) {
      console.warn(
        'jupyter-coi | a pool request without shared memory was ignored'
      );
      return;
    }
    const header = new Int32Array(mailbox, 0, LAYOUT.headerSlots);
    let worker: Worker;
    try {
      worker = this._spawn(`${this._label} ${request.pool} worker ${number}`);
    } catch (error) {
      writeFailure(
        mailbox,
        doorbell,
        `the page could not start a worker: ${error}`
      );
      return;
    }
    worker.addEventListener('error', event => {
      event.preventDefault();
      writeFailure(
        mailbox,
        doorbell,
        `the worker stopped with an error: ${event.message || 'no message'}`
      );
    });
    let workers = this._pools.get(request.pool);
    if (!workers) {
      workers = new Map();
      this._pools.set(request.pool, workers);
    }
    workers.set(number, worker);
    Atomics.compareExchange(
      header,
      LAYOUT.header.state,
      LAYOUT.states.requested,
      LAYOUT.states.started
    );
    ring(doorbell);
    worker.postMessage({
      mailbox,
      doorbell,
      indexURL: request.indexURL,
      lockFileURL: request.lockFileURL,
      packageBaseUrl: request.packageBaseUrl,
      packages: request.packages ?? [],
      // The page's copy of the package, the same files that the kernel got.
      files: POOL_FILES
    });
  }

  private _stop(pool: string, number: number): void {
    const workers = this._pools.get(pool);
    const worker = workers?.get(number);
    if (worker) {
      worker.terminate();
      workers!.delete(number);
    }
  }

  private readonly _listen: (event: MessageEvent) => void;
  private readonly _pools = new Map<string, Map<number, Worker>>();
  private _disposed = false;
}

/** Every Pyodide kernel's pool workers are served from its start, and stopped with it (a
 * restart disposes the kernel object). */
export const kernelPools: IKernelSetupUser = {
  started(kernel: IKernel, worker: Worker): void {
    const host = new PoolHost(
      worker,
      `jupyter-coi ${kernel.name} ${kernel.id}`
    );
    kernel.disposed.connect(() => host.dispose());
  }
};
