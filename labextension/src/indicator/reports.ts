/**
 * The violation reports the server collected: browsers post COEP and COOP reports to it
 * (Reporting API), and `GET api/coi/reports` hands back a bounded list of them.
 *
 * The entries come from whoever posted them, so nothing here trusts their shape: the parser
 * keeps only well-typed entries, and the text built from them is meant for `textContent`.
 * Pure apart from `fetchReports`, which never throws: on JupyterLite, or on a server without
 * the extension, there simply are no reports.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import { PLACEHOLDERS, fillSlots, untranslated } from '../translation';
import { blockedHeading } from './labels';

/** How long the dialog waits for the reports before it opens without them. */
export const REPORTS_TIMEOUT_MS = 5000;

/** `report-only`: the headers are sent as *-Report-Only, so nothing is blocked yet. */
export type ReportMode = 'report-only' | 'enforce';
/** `reporting`: would have been blocked; `enforce`: was blocked. */
export type ReportDisposition = 'reporting' | 'enforce';
export type ReportKind = 'coep' | 'coop';

/** One distinct report, as the server keeps it. */
export interface IReport {
  kind: ReportKind;
  disposition: ReportDisposition;
  /** The report body's `type`, e.g. `corp` or `navigation-from-response`. */
  reason: string;
  /** The request's destination, e.g. `image`; may be empty. */
  destination: string;
  /** The URL that was (or would be) blocked; may be empty. */
  blocked: string;
  /** The page that reported it. */
  page: string;
  /** How many times it was reported. */
  count: number;
  /** When it was first reported, in seconds since the epoch. */
  first_seen: number;
  /**
   * Whether it was posted from the address that asks for the list. Browsers post reports
   * without a login, so anyone who has loaded a page of the server can post one: only these
   * can the dialog vouch for.
   */
  from_viewer: boolean;
}

/** The answer of `GET api/coi/reports`. */
export interface IReports {
  /** Whether the server asks browsers for reports at all. */
  reporting: boolean;
  mode: ReportMode;
  reports: IReport[];
  /** How many distinct reports the server did not keep because its list was full. */
  dropped: number;
}

/** Sends the request: `ServerConnection.makeRequest`, or a stand-in in tests. */
export type ReportsRequest = (
  url: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
) => Promise<Response>;

const MODES: readonly ReportMode[] = ['report-only', 'enforce'];
const DISPOSITIONS: readonly ReportDisposition[] = ['reporting', 'enforce'];
const KINDS: readonly ReportKind[] = ['coep', 'coop'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[]
): value is T {
  return (
    typeof value === 'string' && (allowed as readonly string[]).includes(value)
  );
}

/** A whole number that arithmetic and display keep exact (rules out 1e300, NaN, 2.5). */
function isWhole(value: unknown, least: number): value is number {
  return (
    typeof value === 'number' && Number.isSafeInteger(value) && value >= least
  );
}

function parseReport(entry: unknown): IReport | null {
  if (!isRecord(entry)) {
    return null;
  }
  const {
    kind,
    disposition,
    reason,
    destination,
    blocked,
    page,
    count,
    first_seen,
    from_viewer
  } = entry;
  if (
    !isOneOf(kind, KINDS) ||
    !isOneOf(disposition, DISPOSITIONS) ||
    typeof reason !== 'string' ||
    typeof destination !== 'string' ||
    typeof blocked !== 'string' ||
    typeof page !== 'string' ||
    !isWhole(count, 1) ||
    typeof first_seen !== 'number' ||
    !Number.isFinite(first_seen)
  ) {
    return null;
  }
  return {
    kind,
    disposition,
    reason,
    destination,
    blocked,
    page,
    count,
    first_seen,
    // A server that does not say (older than the field) vouches for nothing.
    from_viewer: from_viewer === true
  };
}

/**
 * The reports in a parsed JSON answer, or null when the answer is not one (a 404 page, another
 * server's API). Entries of the wrong shape are left out; the rest are kept as they are.
 */
export function parseReports(json: unknown): IReports | null {
  if (!isRecord(json)) {
    return null;
  }
  const { reporting, mode, reports, dropped } = json;
  if (
    typeof reporting !== 'boolean' ||
    !isOneOf(mode, MODES) ||
    !Array.isArray(reports) ||
    !isWhole(dropped, 0)
  ) {
    return null;
  }
  const kept: IReport[] = [];
  for (const entry of reports) {
    const report = parseReport(entry);
    if (report) {
      kept.push(report);
    }
  }
  return { reporting, mode, reports: kept, dropped };
}

/**
 * Ask the server for its reports. Null when it has none to give: no server (JupyterLite), a
 * server without the extension, an error, or no answer within `timeoutMs`. Never throws, and
 * logs nothing: a missing endpoint is normal.
 */
export async function fetchReports(
  settings: ServerConnection.ISettings,
  path: string,
  request: ReportsRequest = ServerConnection.makeRequest,
  timeoutMs = REPORTS_TIMEOUT_MS
): Promise<IReports | null> {
  const abort =
    typeof AbortController === 'function' ? new AbortController() : null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The timer bounds reading the body too, and does not rely on `request` honouring the signal.
  const timeout = new Promise<null>(resolve => {
    timer = setTimeout(() => {
      abort?.abort();
      resolve(null);
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      load(settings, path, request, abort?.signal),
      timeout
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function load(
  settings: ServerConnection.ISettings,
  path: string,
  request: ReportsRequest,
  signal: AbortSignal | undefined
): Promise<IReports | null> {
  const url = URLExt.join(settings.baseUrl, path);
  const response = await request(
    url,
    signal ? { method: 'GET', signal } : { method: 'GET' },
    settings
  );
  if (!response.ok) {
    return null;
  }
  return parseReports(await response.json());
}

// What the dialog and the copied report say. Shared by both, so they cannot drift apart.

export function reportsHeading(trans: TranslationBundle): string {
  return trans.__('Reported by the browser');
}

/**
 * What the section says when it lists no report: `merged` were listed as blocked loads, with
 * the page's own (every report was of a blocked resource).
 */
export function noReportsLine(
  merged: number,
  trans: TranslationBundle = untranslated
): string {
  return merged > 0
    ? trans.__(
        'The resources the browser reported as blocked are listed under "%1".',
        blockedHeading(trans)
      )
    : trans.__('No violations reported yet.');
}

export const REPORTS_HEADING = reportsHeading(untranslated);
export const NO_REPORTS = noReportsLine(0);
export const REPORTS_LISTED_AS_BLOCKED = noReportsLine(1);

/** Longest text shown for one field: posters choose these strings, and their length. */
const SHOWN_MAX = 300;

/** Whether the dialog has anything to say about reports. */
export function hasReportSection(
  reports: IReports | null | undefined
): reports is IReports {
  return !!reports && (reports.reporting || reports.reports.length > 0);
}

/**
 * The sentence before the entries of one disposition. One is said without its number; the
 * other counts take the language's plural forms, whose singular may serve 21 as well.
 */
export function reportsIntro(
  disposition: ReportDisposition,
  n: number,
  trans: TranslationBundle = untranslated
): string {
  if (disposition === 'enforce') {
    return n === 1
      ? trans.__('This resource was blocked:')
      : trans._n(
          '%1 resource was blocked:',
          'These %1 resources were blocked:',
          n
        );
  }
  return n === 1
    ? trans.__('This resource would be blocked once isolation is enforced:')
    : trans._n(
        '%1 resource would be blocked once isolation is enforced:',
        'These %1 resources would be blocked once isolation is enforced:',
        n
      );
}

/** Said under the entries when some came from another address. */
export function unvouchedLine(trans: TranslationBundle): string {
  return trans.__(
    'Reports marked "from another address" were not posted from this browser\'s address: ' +
      'browsers post reports without a login, so they may be made up.'
  );
}

export const UNVOUCHED_LINE = unvouchedLine(untranslated);

/** The line saying how many reports the server did not keep. */
export function droppedLine(
  dropped: number,
  trans: TranslationBundle = untranslated
): string {
  return trans._n(
    '%1 more report was not kept: the server keeps a limited number.',
    '%1 more reports were not kept: the server keeps a limited number.',
    dropped
  );
}

export interface IReportGroup {
  disposition: ReportDisposition;
  intro: string;
  reports: IReport[];
}

/**
 * The entries split by what happened to them: blocked first, then would-be-blocked. Grouped by
 * each entry's own disposition rather than the server's mode, so a "was blocked" is never told
 * as a "would be".
 */
export function reportGroups(
  reports: IReports,
  trans: TranslationBundle = untranslated
): IReportGroup[] {
  const order: ReportDisposition[] = ['enforce', 'reporting'];
  return order
    .map(disposition => {
      const entries = reports.reports.filter(
        r => r.disposition === disposition
      );
      return {
        disposition,
        intro: reportsIntro(disposition, entries.length, trans),
        reports: entries
      };
    })
    .filter(group => group.reports.length > 0);
}

/** A poster's string made safe to show on one line, and short enough to read. */
function shown(text: string): string {
  // Matching control characters is the point: they would break the line.
  // eslint-disable-next-line no-control-regex
  const oneLine = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return oneLine.length > SHOWN_MAX
    ? oneLine.slice(0, SHOWN_MAX) + '…'
    : oneLine;
}

/** The path of the reporting page (the origin is this server's); the text itself if not a URL. */
export function pagePath(page: string): string {
  try {
    const url = new URL(page);
    if (url.protocol === 'http:' || url.protocol === 'https:') {
      return url.pathname;
    }
  } catch {
    // Not an absolute URL: show what was sent.
  }
  return page;
}

/** A part of an entry's line: `[class, text]` for a part worth marking up, `[null, text]` else. */
export type ReportSegment = [string | null, string];

/**
 * One entry as text segments: `[class, text]` for a part worth marking up, `[null, text]` for
 * the words between. The dialog wraps the marked parts in spans; joined, they are the line.
 * The words come from one translated sentence, the parts from the report, untranslated.
 */
export function reportSegments(
  report: IReport,
  trans: TranslationBundle = untranslated
): ReportSegment[] {
  const what =
    report.destination || (report.kind === 'coop' ? 'window' : 'resource');
  const blocked: ReportSegment[] = [
    [
      'jp-coi-report-url',
      report.blocked ? shown(report.blocked) : trans.__('(no URL given)')
    ]
  ];
  if (report.count > 1) {
    blocked.push([null, ' '], ['jp-coi-report-count', `×${report.count}`]);
  }
  const why =
    report.kind.toUpperCase() +
    (report.reason ? `: ${shown(report.reason)}` : '');
  const slots: ReportSegment[][] = [
    [['jp-coi-report-destination', shown(what)]],
    blocked,
    [['jp-coi-report-reason', why]]
  ];
  const path = pagePath(report.page);
  if (path) {
    slots.push([['jp-coi-report-page', shown(path)]]);
  }
  const sentence = path
    ? trans.__('%1: %2 (%3) on %4', ...PLACEHOLDERS)
    : trans.__('%1: %2 (%3)', ...PLACEHOLDERS);
  const segments: ReportSegment[] = [];
  for (const part of fillSlots(sentence, slots)) {
    if (typeof part === 'string') {
      segments.push([null, part]);
    } else {
      segments.push(...part);
    }
  }
  if (!report.from_viewer) {
    segments.push(
      [null, ' '],
      ['jp-coi-report-unvouched', trans.__('[from another address]')]
    );
  }
  return segments;
}

/** One entry as a line, e.g. `image: http://x/pixel.png ×2 (COEP: corp) on /lab/tree/a.ipynb`. */
export function describeReport(
  report: IReport,
  trans: TranslationBundle = untranslated
): string {
  return reportSegments(report, trans)
    .map(([, text]) => text)
    .join('');
}

/**
 * The reports section as plain text, for the copied report; empty when there is none.
 * `merged`: how many reports were taken out to be listed as blocked loads.
 */
export function reportLines(
  reports: IReports | null | undefined,
  merged = 0,
  trans: TranslationBundle = untranslated
): string[] {
  if (!hasReportSection(reports)) {
    return [];
  }
  const lines = [reportsHeading(trans)];
  if (!reports.reports.length) {
    lines.push(noReportsLine(merged, trans));
  }
  for (const group of reportGroups(reports, trans)) {
    lines.push(
      group.intro,
      ...group.reports.map(r => `  ${describeReport(r, trans)}`)
    );
  }
  if (reports.reports.some(r => !r.from_viewer)) {
    lines.push(unvouchedLine(trans));
  }
  if (reports.dropped > 0) {
    lines.push(droppedLine(reports.dropped, trans));
  }
  return lines;
}
