import policy from '../../src/policy.json';
import {
  CREDENTIALLESS,
  CREDENTIALLESS_FALLBACK,
  headerToken
} from '../../src/indicator/headers';

describe('headerToken', () => {
  it('keeps a bare value as it is', () => {
    expect(headerToken('same-origin')).toBe('same-origin');
  });

  it('ignores case and surrounding whitespace', () => {
    expect(headerToken('  Same-Origin\t')).toBe('same-origin');
  });

  it('drops every parameter after the first semicolon', () => {
    expect(headerToken('credentialless; report-to="coep"')).toBe(
      'credentialless'
    );
    expect(headerToken('require-corp;report-to="a"; x=y')).toBe('require-corp');
  });

  it('gives an empty token for an empty value or one with parameters only', () => {
    expect(headerToken('')).toBe('');
    expect(headerToken(' ; report-to="a"')).toBe('');
  });

  it('leaves repeated values joined (judgeHeader rejects them)', () => {
    expect(headerToken('same-origin, same-origin')).toBe(
      'same-origin, same-origin'
    );
  });
});

describe('header values from policy.json', () => {
  it('names COEP values that isolate', () => {
    expect(policy.isolating.embedder).toContain(CREDENTIALLESS);
    expect(policy.isolating.embedder).toContain(CREDENTIALLESS_FALLBACK);
    expect(CREDENTIALLESS).not.toBe(CREDENTIALLESS_FALLBACK);
  });
});
