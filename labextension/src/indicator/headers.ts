/**
 * Header values as the indicator reads them. The values it names come from `policy.json`,
 * generated from the Python package's policy module, so that the page and the server cannot
 * disagree; a raw value is parsed here and nowhere else.
 */
import policy from '../policy.json';

/** The COEP value that loads cross-origin resources without credentials. */
export const CREDENTIALLESS = policy.credentialless.value;

/** The COEP value every isolating browser honours, for those without credentialless. */
export const CREDENTIALLESS_FALLBACK = policy.credentialless.fallback;

/**
 * The token a browser would parse out of a raw header value: parameters after
 * `;` (such as `report-to`) are dropped, case and whitespace ignored.
 */
export function headerToken(raw: string): string {
  return raw.split(';')[0].trim().toLowerCase();
}
