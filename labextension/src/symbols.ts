/**
 * Lock symbols drawn inline, so the state reads without colour and without
 * depending on an emoji font.
 */
import { IsolationState } from './diagnosis';

const SVG_NS = 'http://www.w3.org/2000/svg';

// Shackle paths: closed into the body, or lifted with its left end free.
const SHACKLE: Record<IsolationState, string> = {
  isolated: 'M5 7V5a3 3 0 0 1 6 0v2',
  'not-isolated': 'M11 7V3.5a3 3 0 0 0-6 0v0.5'
};

/** A 16x16 padlock, closed when isolated and open when not. Decorative only. */
export function lockSymbol(state: IsolationState, doc: Document = document): SVGSVGElement {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '14');
  svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('jp-coi-symbol');

  const shackle = doc.createElementNS(SVG_NS, 'path');
  shackle.setAttribute('d', SHACKLE[state]);
  shackle.setAttribute('fill', 'none');
  shackle.setAttribute('stroke', 'currentColor');
  shackle.setAttribute('stroke-width', '1.6');
  shackle.setAttribute('stroke-linecap', 'round');

  const body = doc.createElementNS(SVG_NS, 'rect');
  body.setAttribute('x', '3');
  body.setAttribute('y', '7');
  body.setAttribute('width', '10');
  body.setAttribute('height', '8');
  body.setAttribute('rx', '1.5');
  body.setAttribute('fill', 'currentColor');

  svg.append(shackle, body);
  return svg;
}
