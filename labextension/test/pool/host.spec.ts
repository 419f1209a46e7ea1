/**
 * The page's bookkeeping of a kernel's pool workers (src/pool/host.ts), with stand-ins for
 * Web Workers (Node has none; the browser tests start real ones): which workers a request
 * starts, what each is handed, which a stop and the kernel's end stop, how a parked worker is
 * retired after the idle time unless the kernel takes it back first, and what a worker that
 * fails leaves in its mailbox for the kernel.
 */
import { PoolHost } from '../../src/pool/host';
import { LAYOUT, MESSAGE_KEY } from '../../src/pool/layout';
import { applyPoolSettings, poolSettings } from '../../src/pool/settings';

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

// What stands for Pyodide's compiled WebAssembly module.
const COMPILED = {
  compiled: 'pyodide.asm.wasm'
} as unknown as WebAssembly.Module;

function setup() {
  const kernel = new EventTarget() as unknown as Worker;
  const started: StandIn[] = [];
  const compiled: string[] = [];
  const host = new PoolHost(
    kernel,
    'kernel-1',
    name => {
      const worker = new StandIn(name);
      started.push(worker);
      return worker as unknown as Worker;
    },
    async indexURL => {
      compiled.push(indexURL);
      return COMPILED;
    }
  );
  const doorbell = new SharedArrayBuffer(4 * LAYOUT.doorbellSlots);
  const mailbox = () => new SharedArrayBuffer(LAYOUT.mailboxBytes);
  const post = (request: object) =>
    kernel.dispatchEvent(
      Object.assign(new Event('message'), { data: { [MESSAGE_KEY]: request } })
    );
  return { host, started, compiled, doorbell, mailbox, post };
}

/** Until the promises the host started have settled. */
const settled = () => new Promise(resolve => setTimeout(resolve, 0));

describe('PoolHost', () => {
  it('starts one worker per mailbox, hands it its job, and rings the doorbell', async () => {
    const { host, started, compiled, doorbell, mailbox, post } = setup();
    const boxes = [mailbox(), mailbox()];
    post({
      op: 'start',
      doorbell,
      workers: boxes.map((box, number) => ({ number, mailbox: box })),
      indexURL: 'http://127.0.0.1/static/pyodide/',
      packages: ['joblib'],
      sources: { 'cloudpickle/__init__.py': '' }
    });
    expect(started.map(w => w.name)).toEqual([
      'kernel-1 worker 0',
      'kernel-1 worker 1'
    ]);
    expect(host.workerCount).toBe(2);
    // The job follows once the page has Pyodide's compiled module, the same for each.
    await settled();
    expect(compiled).toEqual([
      'http://127.0.0.1/static/pyodide/',
      'http://127.0.0.1/static/pyodide/'
    ]);
    const job = started[0].posted[0] as Record<string, unknown>;
    expect(job.module).toBe(COMPILED);
    expect((started[1].posted[0] as Record<string, unknown>).module).toBe(
      COMPILED
    );
    expect(job.mailbox).toBe(boxes[0]);
    expect(job.doorbell).toBe(doorbell);
    expect(job.packages).toEqual(['joblib']);
    expect(job.sources).toEqual({ 'cloudpickle/__init__.py': '' });
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

  it('stops the workers it is told to, and everything with the kernel', () => {
    const { host, started, doorbell, mailbox, post } = setup();
    const start = (...numbers: number[]) =>
      post({
        op: 'start',
        doorbell,
        workers: numbers.map(number => ({ number, mailbox: mailbox() }))
      });
    start(1, 2);
    start(3);
    post({ op: 'stop', workers: [2] });
    expect(started.map(w => w.terminated)).toEqual([false, true, false]);
    expect(host.workerCount).toBe(2);
    start(3); // a number started again replaces its worker
    expect(started.map(w => w.terminated)).toEqual([false, true, true, false]);
    host.dispose();
    expect(started.every(w => w.terminated)).toBe(true);
    expect(host.workerCount).toBe(0);
    start(5); // a request after the kernel is gone starts nothing
    expect(started).toHaveLength(4);
  });

  describe('parked workers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => {
      jest.useRealTimers();
      applyPoolSettings({});
    });

    function parkOne(seconds: number) {
      const context = setup();
      applyPoolSettings({ idleWorkerSeconds: seconds });
      const box = context.mailbox();
      context.post({
        op: 'start',
        doorbell: context.doorbell,
        workers: [{ number: 7, mailbox: box }]
      });
      const header = new Int32Array(box, 0, LAYOUT.headerSlots);
      // What the kernel does when a pool releases the worker.
      header[LAYOUT.header.reserve] = LAYOUT.reserve.parked;
      context.post({ op: 'park', workers: [7] });
      return { ...context, header };
    }

    it('are retired after the idle time', () => {
      const { host, started, header } = parkOne(60);
      jest.advanceTimersByTime(59_000);
      expect(started[0].terminated).toBe(false);
      jest.advanceTimersByTime(1_000);
      expect(started[0].terminated).toBe(true);
      expect(header[LAYOUT.header.reserve]).toBe(LAYOUT.reserve.retired);
      expect(host.workerCount).toBe(0);
    });

    it('stay when the kernel took them back first', () => {
      const { host, started, header } = parkOne(60);
      header[LAYOUT.header.reserve] = LAYOUT.reserve.in_use;
      jest.advanceTimersByTime(120_000);
      expect(started[0].terminated).toBe(false);
      expect(header[LAYOUT.header.reserve]).toBe(LAYOUT.reserve.in_use);
      expect(host.workerCount).toBe(1);
    });

    it('wait the whole idle time again when parked again', () => {
      const { started, header, post } = parkOne(60);
      jest.advanceTimersByTime(50_000);
      header[LAYOUT.header.reserve] = LAYOUT.reserve.in_use;
      header[LAYOUT.header.reserve] = LAYOUT.reserve.parked;
      post({ op: 'park', workers: [7] });
      jest.advanceTimersByTime(50_000);
      expect(started[0].terminated).toBe(false);
      jest.advanceTimersByTime(10_000);
      expect(started[0].terminated).toBe(true);
    });

    it('stay, as many as the kernel starts with, however long they wait', () => {
      const context = setup();
      applyPoolSettings({ idleWorkerSeconds: 10, prestartWorkers: 2 });
      const boxes = [1, 2, 3].map(() => context.mailbox());
      context.post({
        op: 'start',
        doorbell: context.doorbell,
        workers: boxes.map((mailbox, i) => ({ number: i + 1, mailbox }))
      });
      for (const box of boxes) {
        new Int32Array(box, 0, LAYOUT.headerSlots)[LAYOUT.header.reserve] =
          LAYOUT.reserve.parked;
      }
      context.post({ op: 'park', workers: [1, 2, 3] });
      jest.advanceTimersByTime(3_600_000);
      expect(context.started.map(w => w.terminated)).toEqual([
        true,
        false,
        false
      ]);
      expect(context.host.workerCount).toBe(2);
    });

    it('take the default idle time for a setting that is not a time', () => {
      applyPoolSettings({ idleWorkerSeconds: -1 });
      expect(poolSettings.idleWorkerSeconds).toBe(300);
      applyPoolSettings({ idleWorkerSeconds: 'soon' as unknown as number });
      expect(poolSettings.idleWorkerSeconds).toBe(300);
      applyPoolSettings({ idleWorkerSeconds: 0 });
      expect(poolSettings.idleWorkerSeconds).toBe(0);
    });

    it('start no workers with the kernel for a setting that is not a count', () => {
      expect(poolSettings.prestartWorkers).toBe(0);
      for (const bad of [-1, 1.5, '2', Number.NaN]) {
        applyPoolSettings({ prestartWorkers: bad as unknown as number });
        expect(poolSettings.prestartWorkers).toBe(0);
      }
      applyPoolSettings({ prestartWorkers: 3 });
      expect(poolSettings.prestartWorkers).toBe(3);
    });
  });

  it('writes why a worker failed into its mailbox, for the kernel to raise', () => {
    const { started, doorbell, mailbox, post } = setup();
    const box = mailbox();
    post({
      op: 'start',
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
      op: 'start',
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
