/**
 * The page's half of a Pyodide kernel's worker pool (`jupyter_coi/pool/`): start the Web
 * Workers that the kernel asks for, stop them when it says, retire the ones it parks once
 * they have been idle for the idle time, and stop all of them when the kernel is restarted or
 * shut down.
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
import { compiledPyodide } from './engine';
import { workerScriptUrl } from './script';
import { poolSettings, poolSettingsRead } from './settings';

/** How long a kernel's set-up waits for the pool's settings before it takes the defaults. */
const SETTINGS_WITHIN_MS = 3000;

type Spawn = (name: string) => Worker;
type Compile = (indexURL: string) => Promise<WebAssembly.Module | null>;

interface IRunning {
  worker: Worker;
  mailbox: SharedArrayBuffer;
  idleTimer?: ReturnType<typeof setTimeout>;
}

export class PoolHost {
  /**
   * @param kernelWorker the kernel's Web Worker, whose messages carry the requests
   * @param label names the workers in the browser's developer tools
   * @param _spawn starts a Web Worker; `_compile` gives Pyodide's compiled module (the tests
   *   pass stand-ins)
   */
  constructor(
    private readonly _kernelWorker: Worker,
    private readonly _label: string,
    private readonly _spawn: Spawn = name =>
      new Worker(workerScriptUrl(), { name, type: 'module' }),
    private readonly _compile: Compile = compiledPyodide
  ) {
    this._listen = (event: MessageEvent) => {
      const request = event.data?.[MESSAGE_KEY] as IPoolRequest | undefined;
      if (request && typeof request === 'object') {
        this.handle(request);
      }
    };
    _kernelWorker.addEventListener('message', this._listen);
  }

  /** How many pool workers of this kernel are running, parked ones included. */
  get workerCount(): number {
    return this._running.size;
  }

  handle(request: IPoolRequest): void {
    if (this._disposed) {
      return;
    }
    for (const entry of request.workers ?? []) {
      if (request.op === 'start' && typeof entry === 'object') {
        this._stop(entry.number);
        this._start(request, entry.number, entry.mailbox);
      } else if (request.op === 'stop' && typeof entry === 'number') {
        this._stop(entry);
      } else if (request.op === 'park' && typeof entry === 'number') {
        this._park(entry);
      }
    }
  }

  /** Stop every worker: the kernel is gone. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._kernelWorker.removeEventListener('message', this._listen);
    for (const number of [...this._running.keys()]) {
      this._stop(number);
    }
  }

  private _start(
    request: IPoolRequest,
    number: number,
    mailbox: SharedArrayBuffer
  ): void {
    const doorbell = request.doorbell;
    if (
      typeof SharedArrayBuffer !== 'function' ||
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
      worker = this._spawn(`${this._label} worker ${number}`);
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
    this._running.set(number, { worker, mailbox });
    Atomics.compareExchange(
      header,
      LAYOUT.header.state,
      LAYOUT.states.requested,
      LAYOUT.states.started
    );
    ring(doorbell);
    const job = {
      mailbox,
      doorbell,
      indexURL: request.indexURL,
      lockFileURL: request.lockFileURL,
      packageBaseUrl: request.packageBaseUrl,
      packages: request.packages ?? [],
      // The page's copy of the package, the same files that the kernel got.
      files: POOL_FILES,
      sources: request.sources ?? {}
    };
    const module = request.indexURL
      ? this._compile(request.indexURL)
      : Promise.resolve(null);
    // A worker stopped meanwhile drops the message.
    void module.then(compiled =>
      worker.postMessage({ ...job, module: compiled })
    );
  }

  /** Retire the worker once it has been idle for the idle time, unless a pool of the kernel
   * takes it back first (whichever moves its `reserve` slot out of `parked` first wins), or
   * the kernel would be left with fewer workers than it starts with (`prestartWorkers`). */
  private _park(number: number): void {
    const running = this._running.get(number);
    if (!running) {
      return;
    }
    clearTimeout(running.idleTimer);
    running.idleTimer = setTimeout(() => {
      running.idleTimer = undefined;
      // The workers the kernel started with stay, however long they wait.
      if (this._running.size <= poolSettings.prestartWorkers) {
        return;
      }
      const header = new Int32Array(running.mailbox, 0, LAYOUT.headerSlots);
      const was = Atomics.compareExchange(
        header,
        LAYOUT.header.reserve,
        LAYOUT.reserve.parked,
        LAYOUT.reserve.retired
      );
      if (was === LAYOUT.reserve.parked) {
        this._stop(number);
      }
    }, poolSettings.idleWorkerSeconds * 1000);
  }

  private _stop(number: number): void {
    const running = this._running.get(number);
    if (running) {
      clearTimeout(running.idleTimer);
      running.worker.terminate();
      this._running.delete(number);
    }
  }

  private readonly _listen: (event: MessageEvent) => void;
  private readonly _running = new Map<number, IRunning>();
  private _disposed = false;
}

/** Every Pyodide kernel's pool workers are served from its start, and stopped with it (a
 * restart disposes the kernel object); its set-up starts `prestartWorkers` of them. */
export const kernelPools: IKernelSetupUser = {
  async setupArguments(): Promise<Record<string, unknown>> {
    // Bounded: a page whose pool plugin never reads its settings still sets its kernels up.
    await Promise.race([
      poolSettingsRead,
      new Promise(resolve => setTimeout(resolve, SETTINGS_WITHIN_MS))
    ]);
    return { pool: { prestartWorkers: poolSettings.prestartWorkers } };
  },
  started(kernel: IKernel, worker: Worker): void {
    const host = new PoolHost(
      worker,
      `jupyter-coi ${kernel.name} ${kernel.id}`
    );
    kernel.disposed.connect(() => host.dispose());
  }
};
