/**
 * The page's bookkeeping of a kernel's pool workers (src/pool/host.ts), with stand-ins for
 * Web Workers (Node has none; the browser tests start real ones): which workers a request
 * starts, what each is handed, which a replace, a close and the kernel's end stop, and what a
 * worker that fails leaves in its mailbox for the kernel.
 */
import { PoolHost } from '../../src/pool/host';
import { LAYOUT, MESSAGE_KEY } from '../../src/pool/layout';

class StandIn extends EventTarget {
  posted: unknown[] = [];
  terminated = false;
  constructor(readonly name: string) {
    super();
  }
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
}

function setup() {
  const kernel = new EventTarget() as unknown as Worker;
  const started: StandIn[] = [];
  const host = new PoolHost(kernel, 'kernel-1', name => {
    const worker = new StandIn(name);
    started.push(worker);
    return worker as unknown as Worker;
  });
  const doorbell = new SharedArrayBuffer(4 * LAYOUT.doorbellSlots);
  const mailbox = () => new SharedArrayBuffer(LAYOUT.mailboxBytes);
  const post = (request: object) =>
    kernel.dispatchEvent(
      Object.assign(new Event('message'), { data: { [MESSAGE_KEY]: request } })
    );
  return { host, started, doorbell, mailbox, post };
}

describe('PoolHost', () => {
  it('starts one worker per mailbox, hands it its job, and rings the doorbell', () => {
    const { host, started, doorbell, mailbox, post } = setup();
    const boxes = [mailbox(), mailbox()];
    post({
      op: 'spawn',
      pool: 'pool-1',
      doorbell,
      workers: boxes.map((box, number) => ({ number, mailbox: box })),
      indexURL: 'http://127.0.0.1/static/pyodide/',
      packages: ['cloudpickle']
    });
    expect(started.map(w => w.name)).toEqual([
      'kernel-1 pool-1 worker 0',
      'kernel-1 pool-1 worker 1'
    ]);
    expect(host.workerCount).toBe(2);
    const job = started[0].posted[0] as Record<string, unknown>;
    expect(job.mailbox).toBe(boxes[0]);
    expect(job.doorbell).toBe(doorbell);
    expect(job.packages).toEqual(['cloudpickle']);
    // The page's copy of the pool package, not one the kernel sends.
    const files = job.files as Record<string, string>;
    expect(Object.keys(files)).toContain('jupyter_coi/pool/worker.py');
    expect(Object.keys(files)).toContain('jupyter_coi/__init__.py');
    expect(
      Object.keys(files).some(p => p.startsWith('jupyter_coi/kernel/'))
    ).toBe(false);
    for (const box of boxes) {
      const header = new Int32Array(box, 0, LAYOUT.headerSlots);
      expect(header[LAYOUT.header.state]).toBe(LAYOUT.states.started);
    }
    expect(new Int32Array(doorbell)[LAYOUT.doorbell]).toBe(2);
  });

  it('replaces one worker, closes a pool, and stops everything with the kernel', () => {
    const { host, started, doorbell, mailbox, post } = setup();
    const spawn = (pool: string, count: number) =>
      post({
        op: 'spawn',
        pool,
        doorbell,
        workers: [...Array(count).keys()].map(number => ({
          number,
          mailbox: mailbox()
        }))
      });
    spawn('pool-1', 2);
    spawn('pool-2', 1);
    post({
      op: 'replace',
      pool: 'pool-1',
      doorbell,
      workers: [{ number: 1, mailbox: mailbox() }]
    });
    expect(started.map(w => w.terminated)).toEqual([false, true, false, false]);
    expect(host.workerCount).toBe(3);
    post({ op: 'close', pool: 'pool-1' });
    expect(started.map(w => w.terminated)).toEqual([true, true, false, true]);
    expect(host.workerCount).toBe(1);
    host.dispose();
    expect(started.every(w => w.terminated)).toBe(true);
    expect(host.workerCount).toBe(0);
    spawn('pool-3', 1); // a request after the kernel is gone starts nothing
    expect(started).toHaveLength(4);
  });

  it('writes why a worker failed into its mailbox, for the kernel to raise', () => {
    const { started, doorbell, mailbox, post } = setup();
    const box = mailbox();
    post({
      op: 'spawn',
      pool: 'pool-1',
      doorbell,
      workers: [{ number: 0, mailbox: box }]
    });
    const error = Object.assign(new Event('error', { cancelable: true }), {
      message: 'SyntaxError: bad'
    });
    started[0].dispatchEvent(error);
    const header = new Int32Array(box, 0, LAYOUT.headerSlots);
    expect(header[LAYOUT.header.state]).toBe(LAYOUT.states.failed);
    const length = header[LAYOUT.header.from_length];
    const text = new TextDecoder().decode(
      new Uint8Array(box, LAYOUT.headerBytes + LAYOUT.window, length).slice()
    );
    expect(text).toBe('the worker stopped with an error: SyntaxError: bad');
  });

  it('ignores messages that are not pool requests, and requests without shared memory', () => {
    const { host, started, post } = setup();
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    post({
      op: 'spawn',
      pool: 'pool-1',
      workers: [{ number: 0, mailbox: {} }]
    });
    expect(started).toHaveLength(0);
    expect(host.workerCount).toBe(0);
    expect(warn).toHaveBeenCalledWith(
      'jupyter-coi | a pool request without shared memory was ignored'
    );
    warn.mockRestore();
  });
});
