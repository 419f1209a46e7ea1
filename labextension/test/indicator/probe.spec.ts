import { varies } from '../../src/indicator/probe';

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
