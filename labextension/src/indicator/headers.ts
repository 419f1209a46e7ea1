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
 * The token a browser would parse out of a raw header value: parameters after `;` (such as
 * `report-to`) and surrounding whitespace are dropped, and case is kept, as browsers compare
 * these tokens (`Same-Origin` isolates nothing). The same rule as `policy.token` in Python and
 * the service worker's; `test/header-tokens.json` holds the cases all three are tested on.
 */
export function headerToken(raw: string): string {
  return raw.split(';')[0].trim();
}

/**
 * Whether a browser honours COEP credentialless, by its User-Agent: the policy's rule, the one
 * the server's `auto` and JupyterLite's service worker apply, so that the dialog's advice
 * matches what this browser would be sent.
 */
export function credentiallessSupported(userAgent: string): boolean {
  const rule = policy.credentialless;
  if (new RegExp(rule.never).test(userAgent)) {
    return false;
  }
  for (const [product, first] of Object.entries(rule.since)) {
    const match = new RegExp(`${product}/(\\d+)`).exec(userAgent);
    if (match) {
      return Number(match[1]) >= first;
    }
  }
  return false;
}
