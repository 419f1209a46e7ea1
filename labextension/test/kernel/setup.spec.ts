/**
 * Kernel set-up (src/kernel/setup.ts) with a stand-in kernel client and kernel object (Node
 * has no Web Worker; the browser tests run the real kernels): the set-up is the first code the
 * kernel runs, every message of the page waits for it in order, an answer to input() never
 * waits, and a set-up that fails still lets the kernel work.
 */
import type { KernelMessage } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { MESSAGE_KEY, setupCode } from '../../src/kernel/bundle';
import bundle from '../../src/kernel/kernel.json';
import {
  IKernelSetupUser,
  KernelSetup,
  SetupOutcome
} from '../../src/kernel/setup';

class StandInWorker extends EventTarget {
  postMessage(): void {}
}
(globalThis as Record<string, unknown>).Worker = StandInWorker;

type Reply =
  { status: 'ok' } | { status: 'error'; ename: string; evalue: string };

class StandInKernel {
  readonly disposed = new Signal<this, void>(this);
  readonly worker = new StandInWorker();
  isDisposed = false;
  /** What the kernel did, in order: 'code' for the set-up, a message type for the rest. */
  log: string[] = [];
  answer: Record<string, unknown> | null = {
    buffer: new SharedArrayBuffer(16)
  };
  reply: Reply = { status: 'ok' };
  /** Resolves when the set-up code ends, after it has posted its answer. */
  finished: Promise<void> = Promise.resolve();
  constructor(
    readonly id: string,
    readonly name: string,
    readonly ready: Promise<void>
  ) {}
  async handleMessage(msg: KernelMessage.IMessage): Promise<void> {
    this.log.push(msg.header.msg_type);
  }
  async executeRequest(content: { code: string }): Promise<Reply> {
    this.log.push('set-up');
    // The last line calls the bootstrap with its arguments, JSON in a string literal.
    const call = content.code.trim().split('\n').pop()!;
    const literal = /^await __jupyter_coi_setup__\((".*")\)$/s.exec(call)![1];
    const { nonce, files } = JSON.parse(JSON.parse(literal));
    expect(Object.keys(files)).toContain('jupyter_coi/kernel/setup.py');
    await Promise.resolve();
    if (this.answer) {
      this.worker.dispatchEvent(
        Object.assign(new Event('message'), {
          data: { [MESSAGE_KEY]: { nonce, ...this.answer } }
        })
      );
    }
    await this.finished;
    this.log.push('set-up replied');
    return this.reply;
  }
}

function message(type: string): KernelMessage.IMessage {
  return { header: { msg_type: type } } as unknown as KernelMessage.IMessage;
}

function start(language = 'python') {
  const changed = new Signal<object, Record<string, unknown>>({});
  const client = { changed } as never;
  const told: string[] = [];
  const outcomes: SetupOutcome[] = [];
  const user: IKernelSetupUser = {
    started: () => void told.push('started'),
    setUp: (_, outcome) => {
      told.push(`set up: ${outcome.status}`);
      outcomes.push(outcome);
    },
    skipped: (_, reason) => void told.push(`skipped: ${reason}`),
    cellHeld: () => void told.push('cell held')
  };
  new KernelSetup({ client, languageOf: () => language, users: [user] });
  let ready!: () => void;
  const kernel = new StandInKernel(
    'k1',
    'python',
    new Promise<void>(resolve => (ready = resolve))
  );
  changed.emit({ type: 'add', newValue: kernel });
  return { kernel, ready, told, outcomes };
}

describe('setupCode', () => {
  it('passes its arguments as JSON in one Python string literal', () => {
    const code = setupCode('abc-"1"\u2028');
    const call = code.trim().split('\n').pop()!;
    const literal = /^await __jupyter_coi_setup__\((".*")\)$/s.exec(call)![1];
    // Python reads a JSON string literal as the same string.
    expect(JSON.parse(JSON.parse(literal)).nonce).toBe('abc-"1"\u2028');
    expect(code.startsWith(bundle.bootstrap)).toBe(true);
  });
});

describe('KernelSetup', () => {
  it('runs the set-up before any message, and lets them through in order', async () => {
    const { kernel, ready, told, outcomes } = start();
    expect(told).toEqual(['started']);
    // The page's requests arrive before the kernel is ready, as Run All on opening sends them.
    const handled = [
      kernel.handleMessage(message('kernel_info_request')),
      kernel.handleMessage(message('execute_request')),
      kernel.handleMessage(message('execute_request'))
    ];
    await Promise.resolve();
    expect(kernel.log).toEqual([]);
    ready();
    await Promise.all(handled);
    expect(kernel.log).toEqual([
      'set-up',
      'set-up replied',
      'kernel_info_request',
      'execute_request',
      'execute_request'
    ]);
    // (The stand-in client hands over all three at once; JupyterLite's hands them one by one.)
    expect(told).toEqual(['started', 'cell held', 'cell held', 'set up: done']);
    expect(
      outcomes[0].status === 'done' && outcomes[0].interruptBuffer
    ).toBeInstanceOf(SharedArrayBuffer);
  });

  it('holds messages until the set-up has replied, not only answered', async () => {
    const { kernel, ready, outcomes } = start();
    let finish!: () => void;
    kernel.finished = new Promise<void>(resolve => (finish = resolve));
    ready();
    const handled = kernel.handleMessage(message('execute_request'));
    await new Promise(resolve => setTimeout(resolve, 20));
    // The answer is in (the interrupt buffer), but the set-up code still runs.
    expect(kernel.log).toEqual(['set-up']);
    finish();
    await handled;
    expect(kernel.log).toEqual(['set-up', 'set-up replied', 'execute_request']);
    expect(outcomes[0].status).toBe('done');
  });

  it('tells its users of a cell that waits for the set-up, and only then', async () => {
    const { kernel, ready, told } = start();
    const handled = [
      kernel.handleMessage(message('kernel_info_request')),
      kernel.handleMessage(message('execute_request'))
    ];
    expect(told).toEqual(['started', 'cell held']);
    ready();
    await Promise.all(handled);
    await kernel.handleMessage(message('execute_request'));
    expect(told).toEqual(['started', 'cell held', 'set up: done']);
  });

  it('never holds back an answer to input()', async () => {
    const { kernel, ready } = start();
    await kernel.handleMessage(message('input_reply'));
    expect(kernel.log).toEqual(['input_reply']);
    ready();
    await kernel.handleMessage(message('execute_request'));
    expect(kernel.log).toEqual([
      'input_reply',
      'set-up',
      'set-up replied',
      'execute_request'
    ]);
  });

  it('tells why when the set-up failed, and the kernel still works', async () => {
    const { kernel, ready, outcomes } = start();
    kernel.answer = null;
    kernel.reply = { status: 'error', ename: 'SyntaxError', evalue: 'bad' };
    ready();
    await kernel.handleMessage(message('execute_request'));
    expect(kernel.log).toEqual(['set-up', 'set-up replied', 'execute_request']);
    expect(outcomes).toEqual([
      { status: 'failed', reason: 'the set-up code failed: SyntaxError: bad' }
    ]);
  });

  it('hears that reason on a page without SharedArrayBuffer at all', async () => {
    const { kernel, ready, outcomes } = start();
    kernel.answer = {
      error: 'the kernel\u2019s worker is not cross-origin isolated'
    };
    const shared = globalThis.SharedArrayBuffer;
    delete (globalThis as Record<string, unknown>).SharedArrayBuffer;
    try {
      ready();
      await kernel.handleMessage(message('execute_request'));
    } finally {
      globalThis.SharedArrayBuffer = shared;
    }
    expect(outcomes).toEqual([
      {
        status: 'failed',
        reason: 'the kernel\u2019s worker is not cross-origin isolated'
      }
    ]);
  });

  it('passes the reason the kernel gave for having no interrupt buffer', async () => {
    const { kernel, ready, outcomes } = start();
    kernel.answer = {
      error: 'the kernel\u2019s worker is not cross-origin isolated'
    };
    ready();
    await kernel.handleMessage(message('execute_request'));
    expect(outcomes).toEqual([
      {
        status: 'failed',
        reason: 'the kernel\u2019s worker is not cross-origin isolated'
      }
    ]);
  });

  it('leaves kernels that are not Python alone', async () => {
    const { kernel, ready, told } = start('javascript');
    ready();
    await kernel.handleMessage(message('execute_request'));
    expect(kernel.log).toEqual(['execute_request']);
    expect(told).toEqual([
      'skipped: the python kernel is not a Python kernel, and only Pyodide kernels take an interrupt buffer'
    ]);
  });
});
