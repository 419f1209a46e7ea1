import { settleWaitAsync } from '../src/waitasync';

describe('settleWaitAsync', () => {
  it('turns an answer that came at once into a resolved promise of the same value', async () => {
    const atomics = {
      waitAsync: (..._args: unknown[]) => ({ async: false, value: 'not-equal' as string | Promise<string> })
    };
    expect(settleWaitAsync(atomics)).toBe(true);
    const result = atomics.waitAsync(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    expect(result.async).toBe(true);
    await expect(result.value).resolves.toBe('not-equal');
  });

  it('leaves a real wait alone, and installs itself once', () => {
    const pending = Promise.resolve('ok');
    const atomics = { waitAsync: (..._args: unknown[]) => ({ async: true, value: pending }) };
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
