/**
 * Workarounds for two races in coincident 1.x, the channel between the page and the kernel's
 * worker that jupyterlite-pyodide-kernel (0.7 and 0.8) uses on isolated pages, and only there.
 * Both lose or corrupt a kernel request at random, with or without the rest of jupyter-coi.
 * The real fix belongs in coincident; until it has one, both are worked around from the page,
 * where this extension runs.
 *
 * How coincident answers a call, page → worker or worker → page: the caller posts the call
 * with a 2-slot Int32Array and waits on slot 0; the callee computes the answer as JSON, writes
 * its length in slot 1, sets slot 0 and notifies. The caller then posts a buffer of that size
 * and waits on its slot 0 again; the callee writes the JSON into it, one UTF-16 unit at a
 * time, and notifies.
 */

/** coincident's message key: its messages are `{ [CHANNEL]: [id, buffer, ...call] }`. */
export const CHANNEL = '64e10b34-2bf7-4616-9668-f99de5aa046e';

type WaitAsyncResult = { async: boolean; value: Promise<string> | string };
type WaitAsync = ((...args: unknown[]) => WaitAsyncResult) & {
  jupyterCoi?: true;
};

/**
 * Race 1, the page waiting: it calls `Atomics.waitAsync(...).value.then(...)`, but when the
 * worker has already answered, waitAsync returns at once with `{ async: false, value:
 * 'not-equal' }`, the `.then` throws ("A(...).value.then is not a function"), and the kernel's
 * reply is lost: the cell stays marked as running forever. The quicker the worker answers
 * (an interrupted cell, an input() answered at once), the likelier it is.
 *
 * The fix hands such results back in the shape coincident expects: the same value, in a
 * promise that is already resolved. Code that reads `async` gets a promise it can await, so the
 * meaning is unchanged for any caller. The kernel module captures `Atomics.waitAsync` when it
 * loads, which is when the first kernel starts: after the plugins have activated.
 */
export function settleWaitAsync(
  atomics: { waitAsync?: WaitAsync } = Atomics as never
): boolean {
  const original = atomics.waitAsync;
  if (typeof original !== 'function' || original.jupyterCoi) {
    return false;
  }
  const settled: WaitAsync = function (...args: unknown[]) {
    const result = original.apply(atomics, args);
    return result.async
      ? result
      : { async: true, value: Promise.resolve(result.value) };
  };
  settled.jupyterCoi = true;
  atomics.waitAsync = settled;
  return true;
}

/**
 * Race 2, the page answering the worker (the kernel's file system asks the page for files this
 * way): the worker waits while slot 0 of the answer buffer is zero, and the page's first
 * written character makes it non-zero. A worker that reaches its wait a moment late (the OS
 * ran something else) finds the answer half-written and parses it: Pyodide stops with a fatal
 * "Bad control character in string literal in JSON", and the kernel is dead.
 *
 * The fix lets coincident write the answer into a buffer of our own, then copies it to the
 * worker's buffer with slot 0 last, as an atomic store, and wakes the worker: the worker sees
 * all of the answer or none of it. Only the worker's request for an answer already computed
 * (`[id, buffer]`, nothing else) is touched; every other message passes as it came.
 */
export function wholeAnswers<T>(
  listener: (this: T, event: MessageEvent) => unknown
) {
  return function (this: T, event: MessageEvent): unknown {
    const request = answerRequest(event.data);
    if (!request) {
      return listener.call(this, event);
    }
    const target = request[1];
    const staging = new Int32Array(
      new SharedArrayBuffer(target.buffer.byteLength)
    );
    request[1] = staging;
    let published = false;
    const publish = (): void => {
      if (published || Atomics.load(staging, 0) === 0) {
        return;
      }
      published = true;
      target.set(staging.subarray(1), 1);
      Atomics.store(target, 0, staging[0]);
      Atomics.notify(target, 0);
      announce();
    };
    let result: unknown;
    try {
      result = listener.call(this, event);
    } finally {
      // Listeners after this one (coincident stops the event, but others may not) see the
      // message as it came.
      request[1] = target;
      publish();
    }
    // coincident 1.x writes before its first await; should a later one write after, publish
    // once it has.
    if (!published && result instanceof Promise) {
      void result.then(publish, publish);
    }
    return result;
  };
}

let announced = false;

/** Says once per page that answers go out whole: the tests look for it, to know the fix is in
 * the path of the real kernel's requests. */
function announce(): void {
  if (!announced) {
    announced = true;
    console.debug(ANNOUNCEMENT);
  }
}

export const ANNOUNCEMENT =
  'jupyter-coi | kernel channel: answers to the worker go out whole';

/** The `[id, buffer]` of a worker's request for its answer, or null for any other message. */
function answerRequest(data: unknown): [unknown, Int32Array] | null {
  const message =
    data && typeof data === 'object'
      ? (data as Record<string, unknown>)[CHANNEL]
      : null;
  if (!Array.isArray(message) || message.length !== 2) {
    return null;
  }
  // By tag, not instanceof: a message's arrays belong to the realm that received it.
  const buffer = message[1];
  if (
    tag(buffer) !== 'Int32Array' ||
    tag((buffer as Int32Array).buffer) !== 'SharedArrayBuffer'
  ) {
    return null;
  }
  return message as [unknown, Int32Array];
}

function tag(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

type Listener = EventListenerOrEventListenerObject | null;
type AddListener = (
  type: string,
  listener: Listener,
  options?: unknown
) => void;

/**
 * Make every function listening for `message` on a Worker (of `workers`, `Worker.prototype` on
 * a page) answer whole. The kernel module registers coincident's listener when its first kernel
 * starts: after the plugins have activated. Removing a listener removes its wrapper. Once only;
 * false when there is nothing to do.
 */
export function answerWhole(
  workers: { addEventListener?: unknown; removeEventListener?: unknown } = (
    globalThis as { Worker?: { prototype: object } }
  ).Worker?.prototype as never
): boolean {
  if (
    !workers ||
    (workers.addEventListener as { jupyterCoi?: true })?.jupyterCoi
  ) {
    return false;
  }
  const add = workers.addEventListener as AddListener;
  const remove = workers.removeEventListener as AddListener;
  const wrappers = new WeakMap<object, EventListener>();
  const wrapperOf = (type: string, listener: Listener): Listener => {
    if (type !== 'message' || typeof listener !== 'function') {
      return listener;
    }
    let wrapper = wrappers.get(listener);
    if (!wrapper) {
      wrapper = wholeAnswers(
        listener as (event: MessageEvent) => unknown
      ) as EventListener;
      wrappers.set(listener, wrapper);
    }
    return wrapper;
  };
  const patched = {
    addEventListener(
      this: unknown,
      type: string,
      listener: Listener,
      options?: unknown
    ) {
      return add.call(this, type, wrapperOf(type, listener), options);
    },
    removeEventListener(
      this: unknown,
      type: string,
      listener: Listener,
      options?: unknown
    ) {
      // A listener that was never added has no wrapper, and needs none made for it.
      const wrapper =
        type === 'message' && listener ? wrappers.get(listener) : undefined;
      return remove.call(this, type, wrapper ?? listener, options);
    }
  };
  (patched.addEventListener as { jupyterCoi?: true }).jupyterCoi = true;
  for (const name of ['addEventListener', 'removeEventListener'] as const) {
    Object.defineProperty(workers, name, {
      value: patched[name],
      writable: true,
      configurable: true
    });
  }
  return true;
}
