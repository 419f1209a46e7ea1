/**
 * Interrupts for in-browser Pyodide kernels (JupyterLite, or in-browser kernels inside
 * JupyterLab): the interrupt button writes SIGINT into the kernel's interrupt buffer, which
 * the kernel's set-up (`../kernel/setup.ts`) put in place before the kernel ran any code.
 *
 * JupyterLite's kernel client is where in-browser kernels are interrupted. Its `interrupt` is
 * wrapped, on that one instance, so that the interrupt button and I,I reach the buffer before
 * the client cancels queued cells.
 */
import type { IKernel, IKernelClient } from '@jupyterlite/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import { untranslated } from '../translation';
import type { IKernelSetupUser, SetupOutcome } from '../kernel/setup';
import { InterruptBuffer, InterruptOutcome } from './buffer';

type InterruptState =
  | { status: 'installing'; cellHeld: boolean }
  | { status: 'ready'; buffer: InterruptBuffer }
  | { status: 'unavailable'; reason: string };

/** Why a kernel gets no buffer when the page is not isolated; the dialog explains more. */
export const NOT_ISOLATED =
  'this page is not cross-origin isolated, so it cannot share memory with the kernel: ' +
  'the interrupt button only cancels queued cells';

/**
 * A cell held for the set-up is the next code the kernel runs once the set-up is done; on a
 * loaded machine it takes a while to reach Python.
 */
const HELD_CELL_STARTS_WITHIN_MS = 5000;

export interface IPyodideInterruptsOptions {
  client: IKernelClient;
  /** Tell the user something about an interrupt that did not or could not stop a cell. */
  tell: (message: string) => void;
  /** The words of what it tells; English where absent. */
  trans?: TranslationBundle;
  isolated?: boolean;
}

export class PyodideInterrupts implements IKernelSetupUser {
  constructor(private readonly _options: IPyodideInterruptsOptions) {
    const { client } = _options;
    client.changed.connect((_, change) => {
      if (change.type === 'remove' && change.oldValue) {
        this._forget(change.oldValue);
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

  started(kernel: IKernel): void {
    this._kernels.set(kernel.id, kernel);
    this._set(
      kernel,
      this._isolated
        ? { status: 'installing', cellHeld: false }
        : { status: 'unavailable', reason: NOT_ISOLATED }
    );
  }

  setUp(kernel: IKernel, outcome: SetupOutcome): void {
    // Not isolated: the reason why an interrupt cannot stop a cell stays the page's.
    if (!this._isolated) {
      return;
    }
    this._set(
      kernel,
      outcome.status === 'done'
        ? {
            status: 'ready',
            buffer: new InterruptBuffer(outcome.interruptBuffer)
          }
        : { status: 'unavailable', reason: outcome.reason }
    );
  }

  cellHeld(kernel: IKernel): void {
    const state = this._states.get(kernel.id);
    if (
      this._kernels.get(kernel.id) === kernel &&
      state?.status === 'installing'
    ) {
      state.cellHeld = true;
    }
  }

  skipped(kernel: IKernel, reason: string): void {
    this._kernels.set(kernel.id, kernel);
    this._set(kernel, { status: 'unavailable', reason }, 'debug');
  }

  private get _isolated(): boolean {
    return this._options.isolated ?? window.crossOriginIsolated === true;
  }

  /** Set the state of a kernel, unless a restart has replaced that kernel object. */
  private _set(
    kernel: IKernel,
    state: InterruptState,
    level: 'warn' | 'debug' = 'warn'
  ): void {
    if (this._kernels.get(kernel.id) !== kernel || kernel.isDisposed) {
      return;
    }
    this._states.set(kernel.id, state);
    if (state.status !== 'installing') {
      this._settle(kernel.id);
    }
    if (state.status === 'ready') {
      console.info(
        `jupyter-coi | kernel ${kernel.id}: interrupts stop running code`
      );
    } else if (state.status === 'unavailable') {
      console[level](
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
    this._settle(kernel.id);
  }

  /** Resolves when the kernel's state is no longer `installing` (or it is gone). */
  private _settled(kernelId: string): Promise<void> {
    let waiting = this._waiting.get(kernelId);
    if (!waiting) {
      let resolve!: () => void;
      const promise = new Promise<void>(r => (resolve = r));
      waiting = { promise, resolve };
      this._waiting.set(kernelId, waiting);
    }
    return waiting.promise;
  }

  private _settle(kernelId: string): void {
    this._waiting.get(kernelId)?.resolve();
    this._waiting.delete(kernelId);
  }

  private async _interrupt(
    kernelId: string,
    startGraceMs?: number
  ): Promise<InterruptOutcome | null> {
    const state = this._states.get(kernelId);
    if (!state) {
      return null;
    }
    if (state.status === 'installing' && state.cellHeld) {
      // The cell waits inside the kernel for the set-up, and runs right after it: the user
      // meant to stop that cell, so the interrupt waits for it too.
      await this._settled(kernelId);
      return this._interrupt(kernelId, HELD_CELL_STARTS_WITHIN_MS);
    }
    const trans = this._options.trans ?? untranslated;
    if (state.status === 'installing') {
      this._options.tell(
        trans.__(
          'Interrupt cannot stop a running cell yet: the kernel has not finished setting up ' +
            'its interrupt buffer. Queued cells were cancelled.'
        )
      );
      return null;
    }
    if (state.status === 'unavailable') {
      this._options.tell(
        trans.__('Interrupt cannot stop a running cell: %1.', state.reason)
      );
      return null;
    }
    const pressed = performance.now();
    const outcome = await state.buffer.interrupt(startGraceMs);
    const ms = (performance.now() - pressed).toFixed(1);
    console.debug(
      `jupyter-coi | kernel ${kernelId}: interrupt ${outcome} in ${ms} ms`
    );
    if (outcome === 'timed-out') {
      this._options.tell(
        trans.__(
          'The kernel has not stopped: the running code does not let Python look for ' +
            'interrupts (it may be waiting for input() or inside a long call into C or ' +
            'JavaScript). Restart the kernel to stop it.'
        )
      );
    }
    return outcome;
  }

  private _kernels = new Map<string, IKernel>();
  private _states = new Map<string, InterruptState>();
  private _waiting = new Map<
    string,
    { promise: Promise<void>; resolve: () => void }
  >();
}
