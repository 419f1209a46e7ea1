/**
 * A stand-in for the kernel's half of the interrupt buffer that follows the kernel code's
 * rules (jupyter_coi/kernel/interrupt.py): Pyodide clears the signal slot when it reads it,
 * and can lose a store that lands between its read and its clear; the handler raises only for
 * an unanswered request while a cell runs.
 */
import { SLOTS } from '../../src/interrupt/buffer';

export class FakeKernel {
  readonly view: Int32Array;
  raised = 0;
  private _reads = 0;
  private _timer: ReturnType<typeof setInterval>;

  /** `loseEvery`: every n-th signal Pyodide sees is cleared without reaching the handler. */
  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly _loseEvery = 0,
    private readonly _taking = true
  ) {
    this.view = new Int32Array(buffer);
    this._timer = setInterval(() => this.tick(), 1);
  }

  set running(value: boolean) {
    Atomics.store(this.view, SLOTS.running, value ? 1 : 0);
  }

  /** One look at the buffer by Pyodide's eval loop. */
  tick(): void {
    if (!this._taking || Atomics.load(this.view, SLOTS.signal) === 0) {
      return;
    }
    Atomics.store(this.view, SLOTS.signal, 0);
    this._reads++;
    if (this._loseEvery && this._reads % this._loseEvery === 0) {
      return; // gh-157548: a store that arrived between read and clear
    }
    this.handler();
  }

  /** on_sigint: true when it raised KeyboardInterrupt. */
  handler(): boolean {
    const requested = Atomics.load(this.view, SLOTS.requested);
    const answered = Atomics.load(this.view, SLOTS.answered);
    if (answered >= requested || Atomics.load(this.view, SLOTS.running) === 0) {
      return false;
    }
    if (
      Atomics.compareExchange(
        this.view,
        SLOTS.answered,
        answered,
        requested
      ) !== answered
    ) {
      return false;
    }
    Atomics.notify(this.view, SLOTS.answered);
    this.raised++;
    return true;
  }

  stop(): void {
    clearInterval(this._timer);
  }
}

export function newBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * Object.keys(SLOTS).length);
}
