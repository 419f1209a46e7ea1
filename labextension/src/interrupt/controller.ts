/**
 * Interrupts for in-browser Pyodide kernels (JupyterLite, or in-browser kernels inside
 * JupyterLab): every new kernel gets an interrupt buffer, and the interrupt button writes
 * SIGINT into it.
 *
 * The way in, and why:
 * - JupyterLite's kernel client (`IKernelClient`) is where in-browser kernels start, restart
 *   (a new kernel object under the same id) and are interrupted. Its `changed` signal hands
 *   us each kernel object as it starts; its `interrupt` is wrapped, on that one instance, so
 *   that the interrupt button and I,I reach the buffer before the client cancels queued cells.
 * - The buffer has to reach the page from the kernel's worker, and `postMessage` on that
 *   worker is the only way a SharedArrayBuffer travels there (Chromium drops it from a
 *   BroadcastChannel). The kernel object holds its Worker; we find it among the object's own
 *   fields by type rather than by a private name.
 * - The kernel code (`kernelCode`) runs as one silent execute request through an ordinary
 *   kernel connection: a public API that every version of the kernel honours.
 * - The same request first puts `jupyter_coi.pool` into the kernel (`kernel-pool.json`), on
 *   every page: on one that is not isolated, a pool then says why it cannot start. The
 *   kernel's worker pool is served by a `PoolHost` on its Worker, stopped with the kernel.
 */
import { Kernel } from '@jupyterlab/services';
import type { IKernel, IKernelClient } from '@jupyterlite/services';
import { PoolHost } from '../pool/host';
import kernelPool from '../pool/kernel-pool.json';
import {
  InterruptBuffer,
  InterruptOutcome,
  MESSAGE_KEY,
  kernelCode
} from './buffer';

type Installed =
  | { status: 'ready'; buffer: InterruptBuffer }
  | { status: 'unavailable'; reason: string };

type InterruptState = { status: 'installing' } | Installed;

/** Why a kernel gets no buffer when the page is not isolated; the dialog explains more. */
export const NOT_ISOLATED =
  'this page is not cross-origin isolated, so it cannot share memory with the kernel: ' +
  'the interrupt button only cancels queued cells';

/** What the console says once the kernel has `jupyter_coi.pool`. */
export const POOL_INSTALLED = 'jupyter_coi.pool is in the kernel';

/** How long after the reply to the kernel code its answer may still arrive. */
const ANSWER_GRACE_MS = 2000;

export interface IPyodideInterruptsOptions {
  client: IKernelClient;
  kernels: Kernel.IManager;
  /** The language of a kernel spec, when known; only Python kernels get the buffer. */
  languageOf: (kernelName: string) => string | undefined;
  /** Tell the user something about an interrupt that did not or could not stop a cell. */
  tell: (message: string) => void;
  isolated?: boolean;
}

function findWorker(kernel: IKernel): Worker | null {
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

function newNonce(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class PyodideInterrupts {
  constructor(private readonly _options: IPyodideInterruptsOptions) {
    const { client } = _options;
    client.changed.connect((_, change) => {
      if (change.type === 'remove' && change.oldValue) {
        this._forget(change.oldValue);
      }
      if (
        (change.type === 'add' || change.type === 'change') &&
        change.newValue
      ) {
        void this._install(change.newValue);
      }
    });
    const interrupt = client.interrupt.bind(client);
    client.interrupt = async (kernelId: string) => {
      // A delivered KeyboardInterrupt ends the cell with an error, and the client then
      // cancels the queued cells itself, as Jupyter does. Its own interrupt, which cancels
      // them as well, is for when nothing was stopped.
      if ((await this._interrupt(kernelId)) !== 'delivered') {
        return interrupt(kernelId);
      }
    };
  }

  /** Set the state of a kernel, unless a restart has replaced that kernel object. */
  private _set(kernel: IKernel, state: InterruptState): void {
    if (this._kernels.get(kernel.id) !== kernel || kernel.isDisposed) {
      return;
    }
    this._states.set(kernel.id, state);
    if (state.status === 'ready') {
      console.info(
        `jupyter-coi | kernel ${kernel.id}: interrupts stop running code`
      );
    } else if (state.status === 'unavailable') {
      console.warn(
        `jupyter-coi | kernel ${kernel.id}: no interrupt buffer: ${state.reason}`
      );
    }
  }

  private _forget(kernel: IKernel): void {
    if (this._kernels.get(kernel.id) !== kernel) {
      return;
    }
    this._kernels.delete(kernel.id);
    this._states.delete(kernel.id);
  }

  private async _install(kernel: IKernel): Promise<void> {
    const { id } = kernel;
    this._kernels.set(id, kernel);
    const isolated =
      this._options.isolated ?? window.crossOriginIsolated === true;
    const language = this._options.languageOf(kernel.name);
    if (language !== undefined && language.toLowerCase() !== 'python') {
      this._set(kernel, {
        status: 'unavailable',
        reason: `the ${kernel.name} kernel is not a Python kernel, and only Pyodide kernels take an interrupt buffer`
      });
      return;
    }
    const worker = findWorker(kernel);
    if (!worker) {
      this._set(kernel, {
        status: 'unavailable',
        reason: `the ${kernel.name} kernel does not run in a Web Worker that the page can reach`
      });
      return;
    }
    // A restart disposes this kernel object, and its pools' workers go with it.
    const pools = new PoolHost(worker, `jupyter-coi ${kernel.name} ${id}`);
    kernel.disposed.connect(() => pools.dispose());
    this._set(
      kernel,
      isolated
        ? { status: 'installing' }
        : { status: 'unavailable', reason: NOT_ISOLATED }
    );
    const nonce = newNonce();
    const answer = new Promise<Installed>(resolve => {
      const listen = (event: MessageEvent) => {
        const message = event.data?.[MESSAGE_KEY];
        if (!message || message.nonce !== nonce) {
          return;
        }
        worker.removeEventListener('message', listen);
        if (message.buffer instanceof SharedArrayBuffer) {
          resolve({
            status: 'ready',
            buffer: new InterruptBuffer(message.buffer)
          });
        } else {
          resolve({
            status: 'unavailable',
            reason: String(message.error ?? 'no buffer came back')
          });
        }
      };
      worker.addEventListener('message', listen);
      kernel.disposed.connect(() =>
        worker.removeEventListener('message', listen)
      );
    });

    let connection: Kernel.IKernelConnection;
    try {
      // Once the kernel is ready: in JupyterLite 0.8, a second client that connects while
      // the kernel starts can leave the notebook's own requests without replies.
      // The cost: a cell queued before the kernel was ready runs before the buffer exists.
      await kernel.ready;
      if (kernel.isDisposed) {
        return;
      }
      connection = this._options.kernels.connectTo({
        model: { id, name: kernel.name },
        handleComms: false
      });
      // Closed with the kernel, not before: in JupyterLite 0.8, closing a second client's
      // socket while the kernel answers the first one's requests loses their replies.
      const opened = connection;
      kernel.disposed.connect(() => opened.dispose());
      const future = connection.requestExecute(
        {
          code: `${kernelPool.code}\n\n${kernelCode(nonce)}`,
          silent: true,
          store_history: false,
          allow_stdin: false,
          stop_on_error: false
        },
        true
      );
      void future.done.then(
        () => console.info(`jupyter-coi | kernel ${id}: ${POOL_INSTALLED}`),
        () => undefined
      );
      // The worker posts its answer while the code runs, well before the reply comes back
      // through the kernel client; a reply with no answer a while later means it could not.
      const done = future.done.then(
        () =>
          new Promise<Installed>(resolve =>
            setTimeout(
              () =>
                resolve({
                  status: 'unavailable',
                  reason: 'the kernel code posted no answer'
                }),
              ANSWER_GRACE_MS
            )
          ),
        reason =>
          ({
            status: 'unavailable',
            reason: `the kernel code failed: ${reason}`
          }) as Installed
      );
      const state = await Promise.race([answer, done]);
      // Not isolated: the kernel got its pool package (which says why a pool cannot start),
      // and the reason why an interrupt cannot stop a cell stays the page's.
      if (isolated) {
        this._set(kernel, state);
      }
    } catch (reason) {
      this._set(kernel, {
        status: 'unavailable',
        reason: `installing failed: ${reason}`
      });
    }
  }

  private async _interrupt(kernelId: string): Promise<InterruptOutcome | null> {
    const state = this._states.get(kernelId);
    if (!state) {
      return null;
    }
    if (state.status === 'installing') {
      this._options.tell(
        'Interrupt cannot stop a running cell yet: the kernel has not finished setting up ' +
          'its interrupt buffer. Queued cells were cancelled.'
      );
      return null;
    }
    if (state.status === 'unavailable') {
      this._options.tell(
        `Interrupt cannot stop a running cell: ${state.reason}.`
      );
      return null;
    }
    const pressed = performance.now();
    const outcome = await state.buffer.interrupt();
    const ms = (performance.now() - pressed).toFixed(1);
    console.debug(
      `jupyter-coi | kernel ${kernelId}: interrupt ${outcome} in ${ms} ms`
    );
    if (outcome === 'timed-out') {
      this._options.tell(
        'The kernel has not stopped: the running code does not let Python look for ' +
          'interrupts (it may be waiting for input() or inside a long call into C or ' +
          'JavaScript). Restart the kernel to stop it.'
      );
    }
    return outcome;
  }

  private _kernels = new Map<string, IKernel>();
  private _states = new Map<string, InterruptState>();
}
