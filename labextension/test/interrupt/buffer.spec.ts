/**
 * The page's side of the interrupt protocol against a stand-in for the kernel that follows
 * the kernel code's rules (jupyter_coi/kernel/interrupt.py): Pyodide clears the signal slot
 * when it reads it, and can lose a store that lands between its read and its clear; the
 * handler raises only for an unanswered request while a cell runs.
 */
import { InterruptBuffer, SIGINT, SLOTS } from '../../src/interrupt/buffer';
import { FakeKernel, newBuffer } from './fakekernel';

const FAST = { resendMs: 1, startGraceMs: 20, giveUpMs: 150 };

describe('InterruptBuffer', () => {
  it('delivers every interrupt when Pyodide loses some of the stores', async () => {
    const kernel = new FakeKernel(newBuffer(), 3);
    kernel.running = true;
    const page = new InterruptBuffer(kernel.buffer, FAST);
    try {
      for (let i = 0; i < 100; i++) {
        expect(await page.interrupt()).toBe('delivered');
      }
      expect(kernel.raised).toBe(100);
      expect(Atomics.load(kernel.view, SLOTS.requested)).toBe(100);
      expect(Atomics.load(kernel.view, SLOTS.answered)).toBe(100);
    } finally {
      kernel.stop();
    }
  });

  it('withdraws a request when no cell runs, so that no later cell is interrupted', async () => {
    const kernel = new FakeKernel(newBuffer(), 0, false);
    kernel.running = false;
    const page = new InterruptBuffer(kernel.buffer, FAST);
    try {
      expect(await page.interrupt()).toBe('not-running');
      expect(Atomics.load(kernel.view, SLOTS.signal)).toBe(0);
      // A signal that Pyodide had already taken reaches the handler in the next cell:
      kernel.running = true;
      expect(kernel.handler()).toBe(false);
    } finally {
      kernel.stop();
    }
  });

  it('waits for a cell that is about to start', async () => {
    const kernel = new FakeKernel(newBuffer());
    kernel.running = false;
    const page = new InterruptBuffer(kernel.buffer, FAST);
    try {
      setTimeout(() => (kernel.running = true), 5);
      expect(await page.interrupt()).toBe('delivered');
    } finally {
      kernel.stop();
    }
  });

  it('stores SIGINT only while a cell runs', async () => {
    const kernel = new FakeKernel(newBuffer(), 0, false);
    kernel.running = false;
    const page = new InterruptBuffer(kernel.buffer, FAST);
    const seen: number[] = [];
    const watch = setInterval(
      () => seen.push(Atomics.load(kernel.view, SLOTS.signal)),
      1
    );
    try {
      await page.interrupt();
      expect(seen.every(value => value === 0)).toBe(true);
    } finally {
      clearInterval(watch);
      kernel.stop();
    }
  });

  it('gives up on code that never lets Python look at the buffer, and clears the signal', async () => {
    const kernel = new FakeKernel(newBuffer(), 0, false);
    kernel.running = true;
    const page = new InterruptBuffer(kernel.buffer, FAST);
    try {
      expect(await page.interrupt()).toBe('timed-out');
      expect(Atomics.load(kernel.view, SLOTS.signal)).toBe(0);
      expect(kernel.handler()).toBe(false); // too late: withdrawn
    } finally {
      kernel.stop();
    }
  });

  it('stores SIGINT, the signal Pyodide turns into KeyboardInterrupt', async () => {
    const kernel = new FakeKernel(newBuffer(), 0, false);
    kernel.running = true;
    const page = new InterruptBuffer(kernel.buffer, { ...FAST, giveUpMs: 10 });
    const pending = page.interrupt();
    expect(Atomics.load(kernel.view, SLOTS.signal)).toBe(SIGINT);
    expect(SIGINT).toBe(2);
    await pending;
    kernel.stop();
  });

  it('refuses a buffer too small for its slots', () => {
    expect(() => new InterruptBuffer(new SharedArrayBuffer(4))).toThrow(
      /needs 16 bytes/
    );
  });
});
