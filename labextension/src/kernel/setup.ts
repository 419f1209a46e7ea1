/**
 * Kernel set-up: every new Pyodide kernel runs jupyter-coi's set-up (`jupyter_coi/kernel/`)
 * before it handles any message of the page's, so that the first cell a user runs, however
 * early and however it was sent, can import `jupyter_coi.pool` and be interrupted.
 *
 * How, and why this way:
 * - JupyterLite's kernel client (`IKernelClient`) is where in-browser kernels start and
 *   restart (a new kernel object under the same id). Its `changed` signal hands us each kernel
 *   object as it is made, synchronously, before any client can connect to it.
 * - The client passes every message of every connection to `kernel.handleMessage`, one at a
 *   time. Wrapping that method on the new kernel object holds each message back until the
 *   set-up has run: the kernel runs requests in order, so the set-up is the first code it runs.
 *   (Holding back the requests of one connection would not do: a notebook, a console and a
 *   docs page's REPL each have their own.)
 * - The set-up runs through the kernel's own `executeRequest` (the method `handleMessage`
 *   calls for an execute request), on the same kernel object: no second client, and nothing
 *   sent to the page's connections, so no cell, prompt or status changes for it.
 * - It answers with one message from the kernel's worker (the interrupt buffer, or why there
 *   is none); `postMessage` is the one way a SharedArrayBuffer reaches the page.
 *
 * Its users (interrupts, the worker pool) learn of each kernel as it starts and of its
 * set-up's outcome before the kernel handles its first message.
 */
import type { KernelMessage } from '@jupyterlab/services';
import type { IKernel, IKernelClient } from '@jupyterlite/services';
import { MESSAGE_KEY, setupCode } from './bundle';
import { findWorker } from './worker';

/** How a kernel's set-up went, as far as the page can know. */
export type SetupOutcome =
  | { status: 'done'; interruptBuffer: SharedArrayBuffer }
  | { status: 'failed'; reason: string };

export interface IKernelSetupUser {
  /** A Pyodide kernel started, in `worker`; its set-up has not run yet. */
  started?(kernel: IKernel, worker: Worker): void;
  /** Arguments of its own for the kernel's set-up (`jupyter_coi/kernel/setup.py`), merged
   * into the set-up's; asked for once the kernel is ready, just before its set-up runs. */
  setupArguments?(kernel: IKernel): Promise<Record<string, unknown>>;
  /** Its set-up ran, or could not; called before the kernel handles the page's messages. */
  setUp?(kernel: IKernel, outcome: SetupOutcome): void;
  /** A kernel that gets no set-up, and why (not a Pyodide kernel the page can reach). */
  skipped?(kernel: IKernel, reason: string): void;
  /**
   * A cell the page sent waits for the set-up inside the kernel: to the page's client it is
   * already running, so the client's own interrupt, which cancels queued cells, would not
   * stop it.
   */
  cellHeld?(kernel: IKernel): void;
}

export interface IKernelSetupOptions {
  client: IKernelClient;
  /** The language of a kernel spec, when known; only Python kernels are set up. */
  languageOf: (kernelName: string) => string | undefined;
  users: IKernelSetupUser[];
}

/** The part of an in-browser kernel object that runs code (`BaseKernel.executeRequest`). */
interface IExecutes {
  executeRequest(
    content: KernelMessage.IExecuteRequestMsg['content']
  ): Promise<KernelMessage.IExecuteReplyMsg['content']>;
}

/** How long after the set-up's reply its answer may still arrive. */
const ANSWER_GRACE_MS = 2000;
/**
 * A set-up that has not finished this long after the kernel is ready lets the kernel's
 * messages through all the same: a kernel must never be held for ever by code of ours. (From
 * ready, not from the start: loading Pyodide from a slow CDN can take longer than that.)
 */
export const SETUP_WITHIN_MS = 120_000;

function newNonce(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class KernelSetup {
  constructor(private readonly _options: IKernelSetupOptions) {
    _options.client.changed.connect((_, change) => {
      if (
        (change.type === 'add' || change.type === 'change') &&
        change.newValue
      ) {
        this._start(change.newValue);
      }
    });
  }

  /**
   * Hold `kernel`'s messages back until its set-up has run, and run it. Synchronous up to the
   * hold, so that no message can slip in before it.
   */
  private _start(kernel: IKernel): void {
    const users = this._options.users;
    const skip = (reason: string) => {
      for (const user of users) {
        user.skipped?.(kernel, reason);
      }
    };
    const language = this._options.languageOf(kernel.name);
    if (language !== undefined && language.toLowerCase() !== 'python') {
      skip(
        `the ${kernel.name} kernel is not a Python kernel, and only Pyodide kernels take an interrupt buffer`
      );
      return;
    }
    const worker = findWorker(kernel);
    if (!worker) {
      skip(
        `the ${kernel.name} kernel does not run in a Web Worker that the page can reach`
      );
      return;
    }
    for (const user of users) {
      user.started?.(kernel, worker);
    }
    const setUp = this._run(kernel, worker).then(outcome => {
      if (!kernel.isDisposed) {
        for (const user of users) {
          user.setUp?.(kernel, outcome);
        }
      }
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>(resolve => {
      kernel.ready.then(
        () => (timer = setTimeout(resolve, SETUP_WITHIN_MS)),
        () => resolve()
      );
    });
    let holding = true;
    const held = Promise.race([setUp, bound])
      .catch(reason => console.error('jupyter-coi | kernel set-up:', reason))
      .finally(() => {
        clearTimeout(timer);
        holding = false;
      });
    const handle = kernel.handleMessage.bind(kernel);
    kernel.handleMessage = async (msg: KernelMessage.IMessage) => {
      // An answer to input() goes to the code that asked for it, which is running: the
      // set-up is long done, and the client does not wait for this call.
      if (msg.header.msg_type !== 'input_reply' && holding) {
        if (msg.header.msg_type === 'execute_request') {
          for (const user of users) {
            user.cellHeld?.(kernel);
          }
        }
        await held;
      }
      return handle(msg);
    };
  }

  private async _run(kernel: IKernel, worker: Worker): Promise<SetupOutcome> {
    const nonce = newNonce();
    let stopListening = () => {};
    const answer = new Promise<SetupOutcome>(resolve => {
      const listen = (event: MessageEvent) => {
        const message = event.data?.[MESSAGE_KEY];
        if (!message || message.nonce !== nonce) {
          return;
        }
        stopListening();
        // A page that is not isolated has no SharedArrayBuffer to test against at all.
        const shared =
          typeof SharedArrayBuffer === 'function' &&
          message.buffer instanceof SharedArrayBuffer;
        resolve(
          shared
            ? { status: 'done', interruptBuffer: message.buffer }
            : {
                status: 'failed',
                reason: String(message.error ?? 'no buffer came back')
              }
        );
      };
      worker.addEventListener('message', listen);
      stopListening = () => worker.removeEventListener('message', listen);
    });
    kernel.disposed.connect(() => stopListening());
    try {
      await kernel.ready;
    } catch (reason) {
      stopListening();
      return {
        status: 'failed',
        reason: `the kernel did not start: ${reason}`
      };
    }
    const executes = kernel as unknown as Partial<IExecutes>;
    if (kernel.isDisposed || typeof executes.executeRequest !== 'function') {
      stopListening();
      return {
        status: 'failed',
        reason: `the ${kernel.name} kernel takes no code from the page`
      };
    }
    const extra: Record<string, unknown> = {};
    for (const user of this._options.users) {
      try {
        Object.assign(extra, await user.setupArguments?.(kernel));
      } catch (reason) {
        console.warn('jupyter-coi | a set-up argument was left out:', reason);
      }
    }
    const started = performance.now();
    // The kernel's messages wait for the reply, not only for the answer: the set-up awaits
    // (cloudpickle loading), and a cell let through then would run in between.
    let failure: string | null = null;
    try {
      const reply = await executes.executeRequest({
        code: setupCode(nonce, extra),
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false,
        user_expressions: {}
      });
      if (reply.status === 'error') {
        failure = `the set-up code failed: ${reply.ename}: ${reply.evalue}`;
      }
    } catch (reason) {
      failure = `the set-up code failed: ${reason}`;
    }
    // The worker posts its answer while the code runs, before the reply; a reply with no
    // answer a while later means it could not.
    let grace: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      answer,
      new Promise<SetupOutcome>(resolve => {
        grace = setTimeout(
          () =>
            resolve({
              status: 'failed',
              reason: failure ?? 'the set-up code posted no answer'
            }),
          failure ? 0 : ANSWER_GRACE_MS
        );
      })
    ]);
    clearTimeout(grace);
    stopListening();
    console.debug(
      `jupyter-coi | kernel ${kernel.id}: set up in ${(performance.now() - started).toFixed(0)} ms`
    );
    return outcome;
  }
}
