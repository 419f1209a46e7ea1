import policy from '../../src/policy.json';
import tokens from '../header-tokens.json';
import {
  CREDENTIALLESS,
  CREDENTIALLESS_FALLBACK,
  headerToken
} from '../../src/indicator/headers';

describe('headerToken', () => {
  it.each(tokens.cases)('reads %j as %j, as browsers do', (raw, token) => {
    expect(headerToken(raw)).toBe(token);
  });
});

describe('header values from policy.json', () => {
  it('names COEP values that isolate', () => {
    expect(policy.isolating.embedder).toContain(CREDENTIALLESS);
    expect(policy.isolating.embedder).toContain(CREDENTIALLESS_FALLBACK);
    expect(CREDENTIALLESS).not.toBe(CREDENTIALLESS_FALLBACK);
  });
});
