/**
 * The page's half of interrupting a Pyodide kernel: writing SIGINT into the kernel's
 * interrupt buffer until the kernel answers. The kernel's half, and the layout of the buffer,
 * are in `jupyter_coi/kernel/interrupt.py`.
 */
import { INTERRUPT } from '../kernel/bundle';

export const SLOTS = INTERRUPT.slots;
export const SIGINT = INTERRUPT.sigint;

/**
 * How a request ended: the kernel raised `KeyboardInterrupt` for it; no cell was running, so
 * there was nothing to stop; or the running code never let Pyodide look at the buffer (it
 * waits for `input()`, or runs in C code that does not check for signals) before we gave up.
 */
export type InterruptOutcome = 'delivered' | 'not-running' | 'timed-out';

export interface IInterruptTiming {
  /** How often to store the signal again until the kernel answers (gh-157548 loses some). */
  resendMs: number;
  /** A cell may be about to start when the user interrupts: wait this long for it. */
  startGraceMs: number;
  /** Stop signalling after this long, and say so. */
  giveUpMs: number;
}

export const DEFAULT_TIMING: IInterruptTiming = {
  resendMs: 4,
  startGraceMs: 250,
  giveUpMs: 30_000
};

type WaitAsync = (
  view: Int32Array,
  index: number,
  value: number,
  timeoutMs: number
) => { async: boolean; value: Promise<string> | string };

/** Resolve when `view[index]` moves away from `value`, or after `timeoutMs`. */
function waitForChange(
  view: Int32Array,
  index: number,
  value: number,
  timeoutMs: number
) {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  if (waitAsync) {
    const result = waitAsync(view, index, value, timeoutMs);
    return result.async
      ? (result.value as Promise<string>)
      : Promise.resolve(result.value);
  }
  // Engines without Atomics.waitAsync: poll.
  return new Promise<string>(resolve =>
    setTimeout(() => resolve('timed-out'), timeoutMs)
  );
}

export class InterruptBuffer {
  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly _timing: IInterruptTiming = DEFAULT_TIMING
  ) {
    if (buffer.byteLength < 4 * Object.keys(SLOTS).length) {
      throw new Error(
        `an interrupt buffer needs ${4 * Object.keys(SLOTS).length} bytes`
      );
    }
    this._view = new Int32Array(buffer);
  }

  /** Whether a cell is running in the kernel right now. */
  get running(): boolean {
    return Atomics.load(this._view, SLOTS.running) === 1;
  }

  /**
   * Ask the kernel to raise `KeyboardInterrupt` in the running cell; `startGraceMs`, when a
   * cell is known to be about to start, is how long to wait for it.
   */
  async interrupt(
    startGraceMs = this._timing.startGraceMs
  ): Promise<InterruptOutcome> {
    const view = this._view;
    const { resendMs, giveUpMs } = this._timing;
    const request = Atomics.add(view, SLOTS.requested, 1) + 1;
    const started = performance.now();
    for (;;) {
      const answered = Atomics.load(view, SLOTS.answered);
      if (answered >= request) {
        return 'delivered';
      }
      const elapsed = performance.now() - started;
      const running = this.running;
      if ((!running && elapsed > startGraceMs) || elapsed > giveUpMs) {
        // Withdraw the request, unless the kernel answered it in the meantime. A signal that
        // Pyodide has already taken then finds it answered and raises nothing.
        if (
          Atomics.compareExchange(view, SLOTS.answered, answered, request) !==
          answered
        ) {
          continue;
        }
        Atomics.store(view, SLOTS.signal, 0);
        return running ? 'timed-out' : 'not-running';
      }
      if (running) {
        Atomics.store(view, SLOTS.signal, SIGINT);
        // Wakes the kernel's interruptible time.sleep.
        Atomics.notify(view, SLOTS.signal);
      }
      await waitForChange(view, SLOTS.answered, answered, resendMs);
    }
  }

  private readonly _view: Int32Array;
}
