/**
 * Interrupts of in-browser Pyodide kernels (src/interrupt/controller.ts) with a stand-in
 * kernel client and the stand-in kernel of the buffer's tests: the interrupt button stops a
 * running cell, leaves cancelling queued cells to the client otherwise, and stops a cell that
 * was sent before the kernel's set-up ran and waits for it.
 */
import type { IKernel, IKernelClient } from '@jupyterlite/services';
import { Signal } from '@lumino/signaling';
import { PyodideInterrupts } from '../../src/interrupt/controller';
import { FakeKernel, newBuffer } from './fakekernel';

class StandInClient {
  readonly changed = new Signal<this, unknown>(this);
  /** Kernels whose queued cells the client's own interrupt cancelled. */
  cancelled: string[] = [];
  async interrupt(kernelId: string): Promise<void> {
    this.cancelled.push(kernelId);
  }
}

function setUpKernels() {
  const client = new StandInClient();
  const told: string[] = [];
  const interrupts = new PyodideInterrupts({
    client: client as unknown as IKernelClient,
    tell: message => told.push(message),
    isolated: true
  });
  const kernel = { id: 'k1', isDisposed: false } as unknown as IKernel;
  const fake = new FakeKernel(newBuffer());
  interrupts.started(kernel);
  const setUp = () =>
    interrupts.setUp(kernel, { status: 'done', interruptBuffer: fake.buffer });
  return { client, told, kernel, fake, interrupts, setUp };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('PyodideInterrupts', () => {
  it('stops a running cell, without cancelling queued cells itself', async () => {
    const { client, told, fake, setUp } = setUpKernels();
    try {
      setUp();
      fake.running = true;
      await client.interrupt('k1');
      expect(fake.raised).toBe(1);
      expect(client.cancelled).toEqual([]);
      expect(told).toEqual([]);
    } finally {
      fake.stop();
    }
  });

  it('leaves it to the client to cancel queued cells when none runs', async () => {
    const { client, fake, setUp } = setUpKernels();
    try {
      setUp();
      await client.interrupt('k1');
      expect(fake.raised).toBe(0);
      expect(client.cancelled).toEqual(['k1']);
    } finally {
      fake.stop();
    }
  });

  it('says the kernel is still setting up, and lets the client cancel the queue', async () => {
    const { client, told, fake } = setUpKernels();
    try {
      await client.interrupt('k1');
      expect(client.cancelled).toEqual(['k1']);
      expect(told).toEqual([expect.stringMatching(/not finished setting up/)]);
    } finally {
      fake.stop();
    }
  });

  it('stops a cell that waited for the set-up, once it runs', async () => {
    const { client, told, kernel, fake, interrupts, setUp } = setUpKernels();
    try {
      interrupts.cellHeld(kernel);
      const pressed = client.interrupt('k1');
      await sleep(50);
      expect(fake.raised).toBe(0);
      setUp();
      // The held cell reaches Python later than an interrupt's usual grace.
      await sleep(400);
      fake.running = true;
      await pressed;
      expect(fake.raised).toBe(1);
      expect(client.cancelled).toEqual([]);
      expect(told).toEqual([]);
    } finally {
      fake.stop();
    }
  });

  it('tells why, and lets the client cancel, when the set-up under a held cell fails', async () => {
    const { client, told, kernel, fake, interrupts } = setUpKernels();
    try {
      interrupts.cellHeld(kernel);
      const pressed = client.interrupt('k1');
      interrupts.setUp(kernel, {
        status: 'failed',
        reason: 'no buffer came back'
      });
      await pressed;
      expect(client.cancelled).toEqual(['k1']);
      expect(told).toEqual([expect.stringMatching(/no buffer came back/)]);
    } finally {
      fake.stop();
    }
  });
});
