import {
  CHANNEL,
  answerWhole,
  settleWaitAsync,
  wholeAnswers
} from '../../src/interrupt/coincident';

describe('settleWaitAsync', () => {
  it('turns an answer that came at once into a resolved promise of the same value', async () => {
    const atomics = {
      waitAsync: (..._args: unknown[]) => ({
        async: false,
        value: 'not-equal' as string | Promise<string>
      })
    };
    expect(settleWaitAsync(atomics)).toBe(true);
    const result = atomics.waitAsync(
      new Int32Array(new SharedArrayBuffer(4)),
      0,
      0
    );
    expect(result.async).toBe(true);
    await expect(result.value).resolves.toBe('not-equal');
  });

  it('leaves a real wait alone, and installs itself once', () => {
    const pending = Promise.resolve('ok');
    const atomics = {
      waitAsync: (..._args: unknown[]) => ({ async: true, value: pending })
    };
    expect(settleWaitAsync(atomics)).toBe(true);
    expect(settleWaitAsync(atomics)).toBe(false);
    expect(atomics.waitAsync().value).toBe(pending);
  });

  it('does nothing where there is no Atomics.waitAsync', () => {
    expect(settleWaitAsync({})).toBe(false);
  });

  it('keeps the real Atomics.waitAsync working', async () => {
    const view = new Int32Array(new SharedArrayBuffer(4));
    const atomics = { waitAsync: (Atomics as any).waitAsync.bind(Atomics) };
    settleWaitAsync(atomics);
    view[0] = 1;
    const result = atomics.waitAsync(view, 0, 0, 10);
    expect(result.async).toBe(true);
    await expect(result.value).resolves.toBe('not-equal');
  });
});

const ANSWER = JSON.stringify({
  path: '/drive/examples/data',
  mode: 16895,
  size: 0,
  kind: 'stat'
});

/** The buffer a worker sends for an answer of `length` UTF-16 units, sized as coincident does. */
function answerBuffer(length: number): Int32Array {
  const bytes = 2 * length;
  return new Int32Array(new SharedArrayBuffer(bytes + (bytes % 4)));
}

function decode(view: Int32Array, length: number): string {
  return new TextDecoder('utf-16').decode(
    new Uint16Array(view.buffer).slice(0, length)
  );
}

/** The page's side of coincident 1.x for one answer: one unit at a time, then a notify.
 * `during(i)` runs after unit i is written. */
function writer(answer: string, during: (i: number) => void = () => undefined) {
  return (event: { data: any }) => {
    const message = event.data?.[CHANNEL];
    if (!Array.isArray(message) || message.length !== 2) {
      return;
    }
    const units = new Uint16Array(message[1].buffer);
    for (let i = 0; i < answer.length; i++) {
      units[i] = answer.charCodeAt(i);
      during(i);
    }
    Atomics.notify(message[1], 0);
  };
}

describe('wholeAnswers', () => {
  it('lets the worker see none of the answer until all of it is written', () => {
    const target = answerBuffer(ANSWER.length);
    const seenWhileWriting = new Set<number>();
    const listener = wholeAnswers(
      writer(ANSWER, () => seenWhileWriting.add(Atomics.load(target, 0)))
    );
    listener.call(null, { data: { [CHANNEL]: [3, target] } } as MessageEvent);
    expect([...seenWhileWriting]).toEqual([0]);
    expect(decode(target, ANSWER.length)).toBe(ANSWER);
  });

  it('passes every other message as it came', () => {
    const call = {
      [CHANNEL]: [3, answerBuffer(1), 'processDriveRequest', [{ path: '/' }]]
    };
    const seen: unknown[] = [];
    const listener = wholeAnswers((event: MessageEvent) =>
      seen.push(event.data)
    );
    for (const data of [
      call,
      { other: 1 },
      null,
      'text',
      { [CHANNEL]: [3, new Int32Array(2)] }
    ]) {
      listener.call(null, { data } as MessageEvent);
    }
    expect(seen).toEqual([
      call,
      { other: 1 },
      null,
      'text',
      { [CHANNEL]: [3, new Int32Array(2)] }
    ]);
    expect(seen[0]).toBe(call);
  });

  it('leaves the buffer alone when the listener does not answer, and restores the message', () => {
    const target = answerBuffer(4);
    const data = { [CHANNEL]: [3, target] };
    wholeAnswers(() => undefined).call(null, {
      data
    } as unknown as MessageEvent);
    expect(Array.from(target)).toEqual([0, 0]);
    expect(data[CHANNEL][1]).toBe(target);
  });

  it('publishes an answer written after an await once the listener settles', async () => {
    const target = answerBuffer(ANSWER.length);
    const write = writer(ANSWER);
    const listener = wholeAnswers(async (event: MessageEvent) => {
      await new Promise(resolve => setTimeout(resolve, 5));
      write(event);
    });
    const settled = listener.call(null, {
      data: { [CHANNEL]: [3, target] }
    } as MessageEvent);
    expect(Atomics.load(target, 0)).toBe(0);
    await settled;
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(decode(target, ANSWER.length)).toBe(ANSWER);
  });
});

// Node's threads, without @types/node: jest runs these specs in Node.
declare function require(name: 'worker_threads'): {
  Worker: new (
    code: string,
    options: { eval: true }
  ) => {
    on(event: string, handler: (data: any) => void): void;
    postMessage(data: unknown): void;
    terminate(): Promise<number>;
  };
};

describe('the race, across real threads', () => {
  const { Worker: NodeWorker } = require('worker_threads');
  // A worker that reaches its wait late, as one the OS has just paused does: after the page
  // has started to write. It waits on slot 0 as coincident's worker does, then parses.
  const LATE_WORKER = `
    const { parentPort } = require('worker_threads');
    parentPort.once('message', ({ length }) => {
      const bytes = 2 * length;
      const view = new Int32Array(new SharedArrayBuffer(bytes + (bytes % 4)));
      parentPort.postMessage({ ['${CHANNEL}']: [7, view] });
      const deadline = Date.now() + 5000;
      while (Atomics.load(view, 0) === 0 && Date.now() < deadline);
      Atomics.wait(view, 0, 0, 5000);
      const text = new TextDecoder('utf-16').decode(new Uint16Array(view.buffer).slice(0, length));
      try { JSON.parse(text); parentPort.postMessage('whole'); }
      catch (error) { parentPort.postMessage(String(error)); }
    });`;

  /** What the late worker parsed, with the page's writer (2 ms a unit) behind `wrap`. */
  function race(
    wrap: (listener: (event: any) => unknown) => (event: any) => unknown
  ): Promise<string> {
    const slowly = () => {
      const until = Date.now() + 2;
      while (Date.now() < until) {
        // A busy wait: the writer takes 2 ms a unit.
      }
    };
    const answer = JSON.stringify({ content: 'x'.repeat(60) });
    const listener = wrap(writer(answer, slowly));
    const worker = new NodeWorker(LATE_WORKER, { eval: true });
    return new Promise<string>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', data => {
        if (typeof data === 'string') {
          void worker.terminate();
          resolve(data);
        } else {
          listener({ data });
        }
      });
      worker.postMessage({ length: answer.length });
    });
  }

  it('is real: a late worker parses a half-written answer', async () => {
    await expect(race(listener => listener)).resolves.toMatch(/JSON/);
  });

  it('is gone with wholeAnswers: the late worker parses the whole answer', async () => {
    await expect(race(listener => wholeAnswers(listener))).resolves.toBe(
      'whole'
    );
  });
});

describe('answerWhole', () => {
  class FakeWorker extends EventTarget {}

  it('wraps message listeners on workers, and removing a listener removes its wrapper', () => {
    expect(answerWhole(FakeWorker.prototype)).toBe(true);
    expect(answerWhole(FakeWorker.prototype)).toBe(false);
    const worker = new FakeWorker();
    const target = answerBuffer(ANSWER.length);
    const seenWhileWriting = new Set<number>();
    const listener = writer(ANSWER, () =>
      seenWhileWriting.add(Atomics.load(target, 0))
    );
    worker.addEventListener('message', listener as unknown as EventListener);
    worker.dispatchEvent(
      new MessageEvent('message', { data: { [CHANNEL]: [1, target] } })
    );
    expect([...seenWhileWriting]).toEqual([0]);
    expect(decode(target, ANSWER.length)).toBe(ANSWER);

    worker.removeEventListener('message', listener as unknown as EventListener);
    const again = answerBuffer(ANSWER.length);
    worker.dispatchEvent(
      new MessageEvent('message', { data: { [CHANNEL]: [2, again] } })
    );
    expect(Atomics.load(again, 0)).toBe(0);
  });

  it('leaves other event types alone', () => {
    class OtherWorker extends EventTarget {}
    answerWhole(OtherWorker.prototype);
    const worker = new OtherWorker();
    const events: string[] = [];
    const onError = (event: Event) => events.push(event.type);
    worker.addEventListener('error', onError);
    worker.dispatchEvent(new Event('error'));
    worker.removeEventListener('error', onError);
    worker.dispatchEvent(new Event('error'));
    expect(events).toEqual(['error']);
  });
});
