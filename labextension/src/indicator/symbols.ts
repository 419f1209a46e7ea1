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

function svgElement<K extends keyof SVGElementTagNameMap>(
  doc: Document,
  tag: K,
  attributes: Record<string, string>
): SVGElementTagNameMap[K] {
  const element = doc.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  return element;
}

/** A 16x16 padlock, closed when isolated and open when not. Decorative only. */
export function lockSymbol(
  state: IsolationState,
  doc: Document = document
): SVGSVGElement {
  const svg = svgElement(doc, 'svg', {
    viewBox: '0 0 16 16',
    width: '14',
    height: '14',
    'aria-hidden': 'true',
    focusable: 'false'
  });
  svg.classList.add('jp-coi-symbol');
  const shackle = svgElement(doc, 'path', {
    d: SHACKLE[state],
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '1.6',
    'stroke-linecap': 'round'
  });
  const body = svgElement(doc, 'rect', {
    x: '3',
    y: '7',
    width: '10',
    height: '8',
    rx: '1.5',
    fill: 'currentColor'
  });
  svg.append(shackle, body);
  return svg;
}
