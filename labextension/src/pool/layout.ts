/**
 * The layout of a pool worker's mailbox and of the kernel's doorbell, shared with the kernel:
 * `layout.json` is generated from `jupyter_coi/pool/mailbox.py`, which explains them.
 */
import layout from './layout.json';

export const LAYOUT = layout;
export const MESSAGE_KEY = layout.messageKey;

/** What the kernel posts to the page under `MESSAGE_KEY`. */
export interface IPoolRequest {
  /** `start` new workers; `stop` some; `park` idle ones until a pool takes them back. */
  op: 'start' | 'stop' | 'park';
  doorbell?: SharedArrayBuffer;
  /** `start`: each worker's number and mailbox; `stop` and `park`: their numbers. */
  workers?: ({ number: number; mailbox: SharedArrayBuffer } | number)[];
  indexURL?: string;
  lockFileURL?: string;
  packageBaseUrl?: string;
  packages?: string[];
  /** `start`: files the kernel has that each worker writes under `site-packages`, path -> text
   * (cloudpickle's, which is quicker to write than to load as a package). */
  sources?: Record<string, string>;
}

/** Mark a worker failed, with `reason` in its mailbox, and wake the kernel. */
export function writeFailure(
  mailbox: SharedArrayBuffer,
  doorbell: SharedArrayBuffer,
  reason: string
): void {
  const header = new Int32Array(mailbox, 0, layout.headerSlots);
  const text = new TextEncoder().encode(reason).slice(0, layout.window);
  new Uint8Array(mailbox, layout.headerBytes + layout.window, text.length).set(
    text
  );
  Atomics.store(header, layout.header.from_length, text.length);
  Atomics.store(header, layout.header.state, layout.states.failed);
  Atomics.notify(header, layout.header.state);
  ring(doorbell);
}

export function ring(doorbell: SharedArrayBuffer): void {
  const bell = new Int32Array(doorbell);
  Atomics.add(bell, layout.doorbell, 1);
  Atomics.notify(bell, layout.doorbell);
}
