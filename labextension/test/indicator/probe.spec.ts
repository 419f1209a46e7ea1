import { deliveredByWorker, varies } from '../../src/indicator/probe';

describe('varies', () => {
  it('finds a header named in Vary, in any case and position', () => {
    expect(varies('User-Agent', 'user-agent')).toBe(true);
    expect(varies('Accept-Encoding, user-agent', 'user-agent')).toBe(true);
    expect(varies('accept-encoding,USER-AGENT ', 'user-agent')).toBe(true);
  });

  it('takes * as every header', () => {
    expect(varies('*', 'user-agent')).toBe(true);
  });

  it('is false without the header', () => {
    expect(varies(null, 'user-agent')).toBe(false);
    expect(varies('', 'user-agent')).toBe(false);
    expect(varies('Accept-Encoding', 'user-agent')).toBe(false);
    expect(varies('User-Agent-Hint', 'user-agent')).toBe(false);
  });
});

describe('deliveredByWorker', () => {
  // Figures from a JupyterLite page isolated by its headers and controlled by its worker.
  it('is true where the engine says a worker handled the navigation (Chromium)', () => {
    expect(deliveredByWorker(7.7, 6961, true)).toBe(true);
  });

  it('is false for a page that came over the network, worker or not', () => {
    expect(deliveredByWorker(0, 6961, true)).toBe(false); // the first load, claimed later
    expect(deliveredByWorker(0, 6961, false)).toBe(false);
  });

  it('is unknown where a worker controls the page and the timing does not say (Firefox)', () => {
    expect(deliveredByWorker(0, 0, true)).toBeNull();
    expect(deliveredByWorker(0, undefined, true)).toBeNull();
  });

  it('is false for a page from the HTTP cache with no worker', () => {
    expect(deliveredByWorker(0, 0, false)).toBe(false);
  });
});
