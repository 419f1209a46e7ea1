/**
 * Header values as the indicator reads them: a raw value is parsed here and nowhere else.
 */

/**
 * The token a browser would parse out of a raw header value: parameters after
 * `;` (such as `report-to`) are dropped, case and whitespace ignored.
 */
export function headerToken(raw: string): string {
  return raw.split(';')[0].trim().toLowerCase();
}
