/**
 * What isolation blocked, as far as the page itself can tell, and what fixes it.
 *
 * Under COEP require-corp a resource from another site, requested without CORS (an <img>,
 * <script> or stylesheet without a crossorigin attribute), loads only if its server sends
 * Cross-Origin-Resource-Policy; most hosts of map tiles, CDN scripts and pictures do not. Over
 * plain http://localhost browsers send no violation reports, so the page looks for itself: the
 * `error` events of such elements, captured on the window from the plugin's activation on, and,
 * when the dialog opens, the broken images in the page and in its same-origin frames (folium
 * draws its map in one), which catches what failed before the plugin started.
 *
 * Resource Timing is not used: in Chromium 156 and Firefox ESR 153 (measured), the entry of a
 * cross-origin no-cors load from a host without Timing-Allow-Origin is the same, responseStatus
 * 0 and every size 0, whether it loaded, was blocked or got a 404.
 *
 * A failed load is not proof either: a missing file or an unreachable host fails alike. So the
 * page's own failures count only where its COEP is require-corp, and the dialog says they "did
 * not load". The server's reports (sent by browsers over HTTPS) are merged in, each resource
 * once. Pure apart from `watchBlockedLoads` and `BlockedLoads.scan`, which read the DOM.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import policy from '../policy.json';
import { sentences, untranslated } from '../translation';
import { IFacts } from './facts';
import {
  CREDENTIALLESS,
  CREDENTIALLESS_FALLBACK,
  credentiallessSupported,
  headerToken
} from './headers';
import { blockedHeading, fixLine } from './labels';
import {
  Deployment,
  EMBEDDER_SETTINGS,
  SettingTool,
  settingLine
} from './page';
import { IReport, IReports } from './reports';

/** Most distinct resources kept; failures past it are only counted. */
export const BLOCKED_CAP = 50;
/** URLs shown under each origin in the dialog; the rest are counted. */
export const URLS_PER_ORIGIN = 3;
/** How long the dialog waits for the broken-image check before it opens without it. */
export const SCAN_TIMEOUT_MS = 1000;
/** Most images the check at dialog time looks at, and how deep into frames. */
const SCAN_MAX_IMAGES = 200;
const SCAN_FRAME_DEPTH = 2;

/** `page`: the page saw it fail; `report`: the browser reported it to the server. */
export type BlockedSource = 'page' | 'report';

/** One resource that did not load, by origin and path. */
export interface IBlockedLoad {
  /** Origin and path: the query and fragment are left out (they may carry tokens). */
  url: string;
  origin: string;
  path: string;
  /** What it was loaded as: `image`, `script`, `style`, `media`, ... */
  destination: string;
  seenBy: BlockedSource[];
}

/** The parts of an element that tell what it loaded and how. */
export interface ILoadingElement {
  tagName: string;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  baseURI?: string;
  /** `<img>`'s choice among `srcset`. */
  currentSrc?: string;
}

/** The origin and path of an http(s) URL, resolved against `base`; null for anything else. */
export function resourceKey(
  raw: string,
  base?: string
): { origin: string; path: string } | null {
  try {
    const url = new URL(raw, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return null;
    }
    return { origin: url.origin, path: url.pathname };
  } catch {
    return null;
  }
}

function linkDestination(el: ILoadingElement): string | null {
  const rel = (el.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
  if (rel.includes('stylesheet')) {
    return 'style';
  }
  if (rel.includes('icon')) {
    return 'image';
  }
  if (rel.includes('preload')) {
    return el.getAttribute('as') || 'resource';
  }
  // modulepreload is a CORS request; prefetch and the rest block nothing a user sees.
  return null;
}

/**
 * What a failing element was loading, if it was a no-cors load, the kind COEP require-corp
 * blocks without CORP. A `crossorigin` attribute (or a module script) makes the request a
 * CORS one, which COEP lets through: its failure is CORS's, and happens without isolation too.
 */
export function noCorsLoad(
  el: ILoadingElement
): { raw: string; destination: string } | null {
  if (el.hasAttribute('crossorigin')) {
    return null;
  }
  const tag = el.tagName.toLowerCase();
  const src = el.getAttribute('src');
  let raw: string | null = null;
  let destination: string | null = null;
  switch (tag) {
    case 'img':
      [raw, destination] = [el.currentSrc || src, 'image'];
      break;
    case 'image': // SVG
      [raw, destination] = [
        el.getAttribute('href') ?? el.getAttribute('xlink:href'),
        'image'
      ];
      break;
    case 'script': {
      const type = (el.getAttribute('type') ?? '').trim().toLowerCase();
      [raw, destination] = [type === 'module' ? null : src, 'script'];
      break;
    }
    case 'link':
      [raw, destination] = [el.getAttribute('href'), linkDestination(el)];
      break;
    case 'video':
    case 'audio':
    case 'source':
      [raw, destination] = [src, 'media'];
      break;
    case 'embed':
      [raw, destination] = [src, 'embed'];
      break;
    case 'object':
      [raw, destination] = [el.getAttribute('data'), 'object'];
      break;
  }
  return raw && destination ? { raw, destination } : null;
}

/** The bounded, deduplicated list of cross-origin loads that failed on this page. */
export class BlockedLoads {
  constructor(
    readonly pageOrigin: string,
    readonly cap = BLOCKED_CAP
  ) {}

  /** Failures of resources not kept because the list was full (repeats included). */
  get dropped(): number {
    return this._dropped;
  }

  /** The loads, in the order they first failed. */
  get loads(): IBlockedLoad[] {
    return [...this._loads.values()];
  }

  /** Note a failed load; false when it does not count (same-origin, not http(s), repeat). */
  add(
    raw: string,
    destination: string,
    base?: string,
    source: BlockedSource = 'page'
  ): boolean {
    const key = resourceKey(raw, base);
    if (!key || key.origin === this.pageOrigin) {
      return false;
    }
    const url = key.origin + key.path;
    const known = this._loads.get(url);
    if (known) {
      if (!known.seenBy.includes(source)) {
        known.seenBy.push(source);
      }
      return false;
    }
    if (this._loads.size >= this.cap) {
      this._dropped++;
      return false;
    }
    this._loads.set(url, { url, ...key, destination, seenBy: [source] });
    return true;
  }

  /** Note an element whose load failed, if it was a cross-origin no-cors load. */
  addElement(el: ILoadingElement): boolean {
    const load = noCorsLoad(el);
    return load ? this.add(load.raw, load.destination, el.baseURI) : false;
  }

  /**
   * Add the broken images in `doc` and its same-origin frames: those that failed before the
   * listener was there, or in a frame it does not hear. An image that is complete with no
   * width may be an SVG without a size; `decode()` tells, as it fails only for a broken one.
   * Bounded by `timeoutMs`; never throws.
   */
  async scan(doc: Document, timeoutMs = SCAN_TIMEOUT_MS): Promise<void> {
    const broken: HTMLImageElement[] = [];
    const visit = (d: Document, depth: number) => {
      for (const img of Array.from(d.images)) {
        if (broken.length >= SCAN_MAX_IMAGES) {
          return;
        }
        if (img.complete && img.naturalWidth === 0 && noCorsLoad(img)) {
          broken.push(img);
        }
      }
      if (depth >= SCAN_FRAME_DEPTH) {
        return;
      }
      for (const frame of Array.from(d.querySelectorAll('iframe'))) {
        try {
          const inner = frame.contentDocument; // null for another origin's frame
          if (inner) {
            visit(inner, depth + 1);
          }
        } catch {
          // Not readable from here: what it loads is its own origin's business.
        }
      }
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      visit(doc, 0);
      const checks = broken.map(img =>
        img.decode().then(
          () => undefined,
          () => {
            this.addElement(img);
          }
        )
      );
      await Promise.race([
        Promise.all(checks),
        new Promise(resolve => (timer = setTimeout(resolve, timeoutMs)))
      ]);
    } catch {
      // A document that went away while it was read: what was found is kept.
    } finally {
      clearTimeout(timer);
    }
  }

  private _loads = new Map<string, IBlockedLoad>();
  private _dropped = 0;
}

/** Start listening, as early as possible: `error` events do not wait for the dialog. */
export function watchBlockedLoads(win: Window): BlockedLoads {
  const loads = new BlockedLoads(win.location.origin);
  win.addEventListener(
    'error',
    event => {
      const target = event.target as Partial<ILoadingElement> | null;
      // Script errors are dispatched at the window itself: only elements are loads.
      if (
        target &&
        typeof target.tagName === 'string' &&
        typeof target.getAttribute === 'function'
      ) {
        loads.addElement(target as ILoadingElement);
      }
    },
    // Resource errors do not bubble; the capture phase sees them all.
    true
  );
  return loads;
}

/** The COEP value under which no-cors loads without CORP are blocked. */
export const BLOCKING_EMBEDDER = CREDENTIALLESS_FALLBACK;

/**
 * The page's failures and the server's reports of blocked cross-origin resources, each
 * resource once; and the reports that are left to list as reports (would-be blocks, COOP,
 * entries without a cross-origin URL), with how many were merged. The page's failures count
 * only when `blocking` (its COEP is require-corp): elsewhere they are not isolation's doing.
 */
export function combineBlocked(
  seen: BlockedLoads,
  reports: IReports | null,
  blocking: boolean
): { loads: IBlockedLoad[]; reportsLeft: IReports | null; merged: number } {
  const combined = new BlockedLoads(seen.pageOrigin, Infinity);
  if (blocking) {
    for (const load of seen.loads) {
      combined.add(load.url, load.destination);
    }
  }
  const left: IReport[] = [];
  let merged = 0;
  for (const report of reports?.reports ?? []) {
    const key = resourceKey(report.blocked);
    // Only a report this browser could have posted becomes advice about an origin.
    if (
      report.from_viewer &&
      report.kind === 'coep' &&
      report.disposition === 'enforce' &&
      key &&
      key.origin !== seen.pageOrigin
    ) {
      combined.add(
        report.blocked,
        report.destination || 'resource',
        undefined,
        'report'
      );
      merged++;
    } else {
      left.push(report);
    }
  }
  return {
    loads: combined.loads,
    reportsLeft: reports ? { ...reports, reports: left } : null,
    merged
  };
}

export interface IBlockedOrigin {
  origin: string;
  /** The first `URLS_PER_ORIGIN` of its loads. */
  shown: IBlockedLoad[];
  /** How many more there are. */
  more: number;
  total: number;
}

/** The loads grouped by origin, in the order each origin first failed. */
export function groupByOrigin(
  loads: IBlockedLoad[],
  perOrigin = URLS_PER_ORIGIN
): IBlockedOrigin[] {
  const groups = new Map<string, IBlockedLoad[]>();
  for (const load of loads) {
    const group = groups.get(load.origin) ?? [];
    group.push(load);
    groups.set(load.origin, group);
  }
  return [...groups].map(([origin, all]) => ({
    origin,
    shown: all.slice(0, perOrigin),
    more: Math.max(0, all.length - perOrigin),
    total: all.length
  }));
}

export type { Deployment } from './page';

/** One way to fix it; `id` is stable, for tests and styling. */
export interface IBlockedFix {
  id: string;
  text: string;
}

const EMBEDDER = policy.headers.embedder;
const RESOURCE = `${policy.headers.resource}: ${policy.resourceConsent}`;

/**
 * Set the tool's COEP setting to credentialless, or remove it to get the default, and what
 * makes that take effect: one sentence per tool.
 */
function embedderFix(tool: SettingTool, trans: TranslationBundle): string {
  const setting = settingLine(tool, CREDENTIALLESS, trans);
  const fallback = EMBEDDER_SETTINGS[tool].fallback;
  switch (tool) {
    case 'server':
      return trans.__(
        'Set %1, or remove the setting to get the default, "%2" (%3 for browsers that ' +
          'support it, %4 for the others), and restart Jupyter: such resources then load, ' +
          'without cookies.',
        setting,
        fallback,
        CREDENTIALLESS,
        CREDENTIALLESS_FALLBACK
      );
    case 'lite':
      return trans.__(
        'Set %1, or remove the setting to get the default, "%2" (%3 for browsers that ' +
          'support it, %4 for the others), and build the site again: such resources then ' +
          'load, without cookies.',
        setting,
        fallback,
        CREDENTIALLESS,
        CREDENTIALLESS_FALLBACK
      );
    case 'sphinx':
      return trans.__(
        'Set %1, or remove the setting to get the default, "%2" (%3 for browsers that ' +
          'support it, %4 for the others), and build the docs again: such resources then ' +
          'load, without cookies.',
        setting,
        fallback,
        CREDENTIALLESS,
        CREDENTIALLESS_FALLBACK
      );
  }
}

/** The settings the advice names, for the test that holds them to the Python classes. */
export const SETTING_NAMES = {
  server: EMBEDDER_SETTINGS.server.name,
  lite: EMBEDDER_SETTINGS.lite.name,
  sphinx: EMBEDDER_SETTINGS.sphinx.name
};

/**
 * What fixes it here: a COEP that loads such resources, where this browser has it, named as
 * the setting of where the page comes from; else (and always) the resource's host consenting.
 */
export function blockedFixes(
  deployment: Deployment,
  credentiallessHere: boolean,
  origins: string[] = [],
  trans: TranslationBundle = untranslated
): IBlockedFix[] {
  const fixes: IBlockedFix[] = [];
  if (credentiallessHere) {
    if (deployment === 'other') {
      fixes.push({
        id: 'embedder-policy',
        text: trans.__(
          'Have the server send %1: %2 (with jupyter-coi: %3; for a JupyterLite site, %4): ' +
            'such resources then load, without cookies.',
          EMBEDDER,
          CREDENTIALLESS,
          settingLine('server', CREDENTIALLESS, trans),
          settingLine('lite', CREDENTIALLESS, trans)
        )
      });
    } else {
      fixes.push({
        id: `${deployment}-embedder-policy`,
        text: embedderFix(deployment, trans)
      });
    }
  } else {
    fixes.push({
      id: 'browser-without-credentialless',
      text: trans.__(
        'This browser does not support %1: %2 (Safari and other WebKit browsers), so here ' +
          "it gets %3, and only the resource's site can let it load.",
        EMBEDDER,
        CREDENTIALLESS,
        CREDENTIALLESS_FALLBACK
      )
    });
  }
  fixes.push({
    id: 'resource-policy',
    text: origins.length
      ? trans.__(
          'Have %1 send %2 with the resource (or serve it with CORS), or copy the resource ' +
            'next to the notebook and load it from there.',
          origins.join(', '),
          RESOURCE
        )
      : trans.__(
          "Have the resource's site send %1 with the resource (or serve it with CORS), or " +
            'copy the resource next to the notebook and load it from there.',
          RESOURCE
        )
  });
  return fixes;
}

/** What the dialog tells when the page runs require-corp and saw nothing fail. */
export function symptoms(trans: TranslationBundle): string[] {
  return [
    trans.__(
      'Grey map tiles (folium, ipyleaflet): the tile server sends no %1.',
      policy.headers.resource
    ),
    trans.__(
      '"Javascript Error: timeout" from a widget that loads its code from a CDN (Bokeh, ' +
        'Plotly, vega for Altair): the script was blocked.'
    ),
    trans.__('A blank folium, Bokeh or Altair output.')
  ];
}

export const SYMPTOMS = symptoms(untranslated);

/** The blocked-loads section's content; null when there is nothing to say. */
export interface IBlockedSection {
  intro: string;
  origins: IBlockedOrigin[];
  total: number;
  /** Failures past the page's cap, counted but not kept. */
  dropped: number;
  /** Said when any load is the page's own finding, which cannot be told from a 404. */
  caveat: string | null;
  /** When nothing was seen: the common signs. */
  symptoms: string[];
  fixes: IBlockedFix[];
  /** How many of the server's reports are in this section rather than among the reports. */
  reported: number;
}

/**
 * The section, from what was seen and reported. `blocking`: the page's COEP is require-corp.
 * Nothing to say when no resource is known blocked and the page does not block.
 */
export function blockedSection(
  loads: IBlockedLoad[],
  dropped: number,
  blocking: boolean,
  deployment: Deployment,
  credentiallessHere: boolean,
  reported = 0,
  trans: TranslationBundle = untranslated
): IBlockedSection | null {
  if (!loads.length && !blocking) {
    return null;
  }
  const origins = groupByOrigin(loads);
  const rule = trans.__(
    "This page's %1 is %2: a resource from another site loads only if that site sends %3 " +
      '(or CORS).',
    EMBEDDER,
    BLOCKING_EMBEDDER,
    RESOURCE
  );
  let intro: string;
  if (!loads.length) {
    intro = sentences(
      trans,
      rule,
      trans.__(
        'The page saw no such load fail, but not every failure reaches it (CSS images, ' +
          'frames, fetch(), loads inside other frames). If you see one of these, isolation ' +
          'is the likely cause:'
      )
    );
  } else if (blocking) {
    intro = sentences(trans, rule, trans.__('These did not load:'));
  } else {
    intro = trans.__('The browser reported these as blocked by %1:', EMBEDDER);
  }
  const pageSeen = loads.some(l => l.seenBy.includes('page'));
  const anyReported = loads.some(l => l.seenBy.includes('report'));
  return {
    intro,
    origins,
    total: loads.length,
    dropped,
    caveat: pageSeen
      ? sentences(
          trans,
          trans.__(
            'The page sees only that a load failed: a missing file or an unreachable site ' +
              'fails alike.'
          ),
          anyReported
            ? trans.__(
                'Those the browser reported as blocked are marked "reported".'
              )
            : ''
        )
      : null,
    symptoms: loads.length ? [] : symptoms(trans),
    fixes: blockedFixes(
      deployment,
      credentiallessHere,
      origins.map(o => o.origin),
      trans
    ),
    reported
  };
}

/**
 * Everything the dialog says about blocked loads, from the page's findings, the server's
 * reports (null without a server) and the facts: the section (null when there is nothing to
 * say) and the reports left to list as such.
 */
export function blockedView(
  seen: BlockedLoads,
  reports: IReports | null,
  facts: IFacts,
  deployment: Deployment,
  trans: TranslationBundle = untranslated
): { section: IBlockedSection | null; reports: IReports | null } {
  const blocking =
    headerToken(facts.headers?.embedder ?? '') === BLOCKING_EMBEDDER;
  const combined = combineBlocked(seen, reports, blocking);
  return {
    section: blockedSection(
      combined.loads,
      blocking ? seen.dropped : 0,
      blocking,
      deployment,
      credentiallessSupported(facts.userAgent),
      combined.merged,
      trans
    ),
    reports: combined.reportsLeft
  };
}

/** One load as the dialog lists it under its origin, e.g. `image /tiles/3/4/2.png`. */
export function describeLoad(
  load: IBlockedLoad,
  trans: TranslationBundle = untranslated
): string {
  return load.seenBy.includes('report')
    ? trans.__('%1 %2 (reported)', load.destination, load.path)
    : `${load.destination} ${load.path}`;
}

/** The heading of one origin's group. */
export function originLine(
  group: IBlockedOrigin,
  trans: TranslationBundle = untranslated
): string {
  return trans._n(
    '%2: %1 resource',
    '%2: %1 resources',
    group.total,
    group.origin
  );
}

export function moreLine(
  more: number,
  trans: TranslationBundle = untranslated
): string {
  return trans._n('and %1 more', 'and %1 more', more);
}

export function droppedLoadsLine(
  dropped: number,
  trans: TranslationBundle = untranslated
): string {
  return trans._n(
    '%1 more failed load was not kept: the page keeps %2.',
    '%1 more failed loads were not kept: the page keeps %2.',
    dropped,
    BLOCKED_CAP
  );
}

/** The section as plain text, for the copied report; empty when there is none. */
export function blockedLines(
  section: IBlockedSection | null,
  trans: TranslationBundle = untranslated
): string[] {
  if (!section) {
    return [];
  }
  const lines = [blockedHeading(trans), section.intro];
  for (const group of section.origins) {
    lines.push(`  ${originLine(group, trans)}`);
    lines.push(...group.shown.map(l => `    ${describeLoad(l, trans)}`));
    if (group.more) {
      lines.push(`    ${moreLine(group.more, trans)}`);
    }
  }
  lines.push(...section.symptoms.map(s => `  - ${s}`));
  if (section.dropped) {
    lines.push(droppedLoadsLine(section.dropped, trans));
  }
  if (section.caveat) {
    lines.push(section.caveat);
  }
  lines.push(...section.fixes.map(f => fixLine(f.text, trans)));
  return lines;
}
