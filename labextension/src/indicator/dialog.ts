/**
 * The details dialog: the facts the page found, the diagnosis, and what works.
 * Everything is written with textContent: header values come from the network.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import type { TranslationBundle } from '@jupyterlab/translation';
import policy from '../policy.json';
import { untranslated } from '../translation';
import {
  IBlockedSection,
  blockedLines,
  describeLoad,
  droppedLoadsLine,
  moreLine,
  originLine
} from './blocked';
import { ICapability, IDiagnosis } from './diagnosis';
import { IFacts } from './facts';
import { IPage } from './page';
import { blockedHeading, fixLine, stateDescriptions } from './labels';
import {
  IReports,
  droppedLine,
  hasReportSection,
  noReportsLine,
  reportGroups,
  reportLines,
  reportSegments,
  reportsHeading,
  unvouchedLine
} from './reports';
import { lockSymbol } from './symbols';

export const DIALOG_CLASS = 'jp-coi-dialog';

/** One row of the facts table. */
export interface IFactRow {
  key: string;
  label: string;
  /** Machine-readable value, for `data-coi-value`. */
  value: string;
  /** What a person reads. */
  display: string;
}

/** A fact that holds or not, in the words of `yesNo`; null is unknown. */
function flag(
  value: boolean | null,
  trans: TranslationBundle,
  yesNo: [string, string] = [trans.__('yes'), trans.__('no')]
): [string, string] {
  if (value === null) {
    return ['unknown', trans.__('unknown')];
  }
  return value ? ['true', yesNo[0]] : ['false', yesNo[1]];
}

function header(
  facts: IFacts,
  field: 'opener' | 'embedder' | 'resource',
  trans: TranslationBundle
): [string, string] {
  if (facts.headers === null) {
    return ['unknown', trans.__('could not be read')];
  }
  const raw = facts.headers[field];
  return raw === null ? ['absent', trans.__('not sent')] : [raw, raw];
}

function kernelNames(
  names: string[] | null,
  trans: TranslationBundle
): [string, string] {
  if (names === null) {
    return ['unknown', trans.__('unknown')];
  }
  return names.length
    ? [names.join(', '), names.join(', ')]
    : ['none', trans.__('none')];
}

/**
 * The facts as rows, in display order; `page`: what the app told of its page. Names from code
 * (`window.crossOriginIsolated`, the headers') and the values the page read stay as they are.
 */
export function factRows(
  facts: IFacts,
  page?: IPage,
  trans: TranslationBundle = untranslated
): IFactRow[] {
  const rows: [string, string, [string, string]][] = [
    [
      'crossOriginIsolated',
      'window.crossOriginIsolated',
      flag(facts.crossOriginIsolated, trans, ['true', 'false'])
    ],
    [
      'secureContext',
      trans.__('Secure context (HTTPS or localhost)'),
      flag(facts.secureContext, trans)
    ],
    ['coop', policy.headers.opener, header(facts, 'opener', trans)],
    ['coep', policy.headers.embedder, header(facts, 'embedder', trans)],
    ['corp', policy.headers.resource, header(facts, 'resource', trans)],
    [
      'sharedArrayBuffer',
      trans.__('SharedArrayBuffer defined'),
      flag(facts.sharedArrayBuffer, trans)
    ],
    [
      'wasmSharedMemory',
      trans.__('Shared WebAssembly.Memory'),
      flag(facts.wasmSharedMemory, trans, [
        trans.__('can be created'),
        trans.__('cannot be created')
      ])
    ],
    [
      'atomicsWaitInWorker',
      trans.__('Atomics.wait in a worker'),
      flag(facts.atomicsWaitInWorker, trans, [
        trans.__('works'),
        trans.__('does not work')
      ])
    ],
    [
      'timerResolution',
      trans.__('performance.now() resolution'),
      facts.timerResolutionMs === null
        ? ['unknown', trans.__('unknown')]
        : [
            String(facts.timerResolutionMs),
            `${formatMs(facts.timerResolutionMs)}`
          ]
    ],
    [
      'serviceWorkerControlled',
      trans.__('Controlled by a service worker'),
      flag(facts.serviceWorkerControlled, trans)
    ],
    [
      'navigationViaServiceWorker',
      trans.__('Page delivered by a service worker'),
      flag(facts.navigationViaServiceWorker, trans)
    ],
    ['framed', trans.__('Inside a frame'), flag(facts.framed, trans)],
    [
      'isolationPermitted',
      trans.__('Permissions policy allows isolation'),
      flag(facts.isolationPermitted, trans)
    ],
    [
      'inBrowserKernels',
      trans.__('In-browser Python kernels'),
      kernelNames(page?.inBrowserKernels ?? null, trans)
    ]
  ];
  return rows.map(([key, label, [value, display]]) => ({
    key,
    label,
    value,
    display
  }));
}

/** A capability's state, as `data-coi-value` has it. */
export function capabilityValue(cap: ICapability): string {
  return cap.available === null ? 'unknown' : String(cap.available);
}

/** The mark and the word shown for each state. */
function capabilityWords(
  trans: TranslationBundle
): Record<string, [string, string]> {
  return {
    true: ['✓', trans.__('available')],
    false: ['✗', trans.__('unavailable')],
    unknown: ['?', trans.__('unknown')],
    'not-here': ['–', trans.__('none on this page')]
  };
}

/** A capability and its state, e.g. `SharedArrayBuffer: available`. */
function capabilityLine(cap: ICapability, trans: TranslationBundle): string {
  return trans.__(
    '%1: %2',
    cap.label,
    capabilityWords(trans)[capabilityValue(cap)][1]
  );
}

function formatMs(ms: number): string {
  return ms < 1
    ? `${Math.round(ms * 1000 * 100) / 100} µs`
    : `${Math.round(ms * 100) / 100} ms`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** What the browser reported to the server; the text is the posters', so textContent only. */
function renderReports(
  reports: IReports,
  merged: number,
  trans: TranslationBundle
): HTMLElement {
  const section = el('div', 'jp-coi-reports-section');
  section.dataset.coiMode = reports.mode;
  section.dataset.coiReporting = String(reports.reporting);
  section.append(el('h3', undefined, reportsHeading(trans)));
  if (!reports.reports.length) {
    section.append(
      el('p', 'jp-coi-reports-none', noReportsLine(merged, trans))
    );
  }
  for (const group of reportGroups(reports, trans)) {
    const intro = el('p', 'jp-coi-reports-intro', group.intro);
    intro.dataset.coiDisposition = group.disposition;
    const list = el('ul', 'jp-coi-reports');
    list.dataset.coiDisposition = group.disposition;
    for (const report of group.reports) {
      const item = el('li', 'jp-coi-report');
      item.dataset.coiDisposition = report.disposition;
      item.dataset.coiKind = report.kind;
      item.dataset.coiCount = String(report.count);
      for (const [className, text] of reportSegments(report, trans)) {
        item.append(className ? el('span', className, text) : text);
      }
      list.append(item);
    }
    section.append(intro, list);
  }
  if (reports.reports.some(r => !r.from_viewer)) {
    section.append(el('p', 'jp-coi-reports-unvouched', unvouchedLine(trans)));
  }
  if (reports.dropped > 0) {
    const dropped = el(
      'p',
      'jp-coi-reports-dropped',
      droppedLine(reports.dropped, trans)
    );
    dropped.dataset.coiDropped = String(reports.dropped);
    section.append(dropped);
  }
  return section;
}

/**
 * The resources that did not load, by origin, and what fixes it. URLs come from the page's
 * elements and from reports: textContent only.
 */
function renderBlocked(
  blocked: IBlockedSection,
  trans: TranslationBundle
): HTMLElement {
  const section = el('div', 'jp-coi-blocked-section');
  section.dataset.coiBlocked = String(blocked.total);
  section.append(
    el('h3', undefined, blockedHeading(trans)),
    el('p', 'jp-coi-blocked-intro', blocked.intro)
  );
  if (blocked.origins.length) {
    const origins = el('ul', 'jp-coi-blocked-origins');
    for (const group of blocked.origins) {
      const item = el('li', 'jp-coi-blocked-origin');
      item.dataset.coiOrigin = group.origin;
      item.dataset.coiCount = String(group.total);
      const urls = el('ul', 'jp-coi-blocked-urls');
      for (const load of group.shown) {
        const entry = el('li', 'jp-coi-blocked-url', describeLoad(load, trans));
        entry.dataset.coiUrl = load.url;
        entry.dataset.coiDestination = load.destination;
        entry.dataset.coiSeenBy = load.seenBy.join(' ');
        urls.append(entry);
      }
      if (group.more) {
        urls.append(
          el('li', 'jp-coi-blocked-more', moreLine(group.more, trans))
        );
      }
      item.append(el('strong', undefined, originLine(group, trans)), urls);
      origins.append(item);
    }
    section.append(origins);
  }
  if (blocked.symptoms.length) {
    const symptoms = el('ul', 'jp-coi-blocked-symptoms');
    for (const symptom of blocked.symptoms) {
      symptoms.append(el('li', undefined, symptom));
    }
    section.append(symptoms);
  }
  if (blocked.dropped) {
    section.append(
      el(
        'p',
        'jp-coi-blocked-dropped',
        droppedLoadsLine(blocked.dropped, trans)
      )
    );
  }
  if (blocked.caveat) {
    section.append(el('p', 'jp-coi-blocked-caveat', blocked.caveat));
  }
  for (const fix of blocked.fixes) {
    const line = el(
      'p',
      'jp-coi-fix jp-coi-blocked-fix',
      fixLine(fix.text, trans)
    );
    line.dataset.coiFix = fix.id;
    section.append(line);
  }
  return section;
}

/**
 * Build the dialog body; `reports` is null where the server has none to give, `blocked` null
 * where nothing is known blocked and nothing is likely to be.
 */
export function renderDetails(
  facts: IFacts,
  diagnosis: IDiagnosis,
  reports?: IReports | null,
  blocked?: IBlockedSection | null,
  trans: TranslationBundle = untranslated
): HTMLElement {
  const root = el('div', DIALOG_CLASS);
  root.dataset.coiState = diagnosis.state;

  const verdict = el('p', 'jp-coi-verdict');
  verdict.dataset.coiState = diagnosis.state;
  verdict.append(
    lockSymbol(diagnosis.state),
    el('strong', undefined, stateDescriptions(trans)[diagnosis.state])
  );
  root.append(verdict, el('p', 'jp-coi-summary', diagnosis.summary));

  if (diagnosis.reasons.length) {
    root.append(
      el(
        'h3',
        undefined,
        diagnosis.state === 'isolated' ? trans.__('Notes') : trans.__('Why')
      )
    );
    const list = el('ul', 'jp-coi-reasons');
    for (const reason of diagnosis.reasons) {
      const item = el('li', `jp-coi-reason jp-coi-reason-${reason.severity}`);
      item.dataset.coiReason = reason.id;
      item.dataset.coiSeverity = reason.severity;
      item.append(
        el('strong', undefined, reason.title),
        el('p', undefined, reason.detail),
        el('p', 'jp-coi-fix', fixLine(reason.fix, trans))
      );
      list.append(item);
    }
    root.append(list);
  }
  if (blocked) {
    root.append(renderBlocked(blocked, trans));
  }

  root.append(el('h3', undefined, trans.__('What works here')));
  const caps = el('ul', 'jp-coi-capabilities');
  for (const cap of diagnosis.capabilities) {
    const item = el('li', 'jp-coi-capability');
    item.dataset.coiCapability = cap.id;
    item.dataset.coiValue = capabilityValue(cap);
    const head = el('span', 'jp-coi-capability-head');
    head.append(
      el(
        'span',
        'jp-coi-mark',
        capabilityWords(trans)[capabilityValue(cap)][0]
      ),
      el('strong', undefined, capabilityLine(cap, trans))
    );
    item.append(head, el('span', 'jp-coi-capability-detail', cap.detail));
    caps.append(item);
  }
  root.append(caps);

  root.append(el('h3', undefined, trans.__('Facts')));
  const table = el('table', 'jp-coi-facts');
  const body = el('tbody');
  for (const row of factRows(facts, diagnosis.page, trans)) {
    const tr = el('tr');
    tr.dataset.coiFact = row.key;
    tr.dataset.coiValue = row.value;
    tr.append(el('th', undefined, row.label), el('td', undefined, row.display));
    body.append(tr);
  }
  table.append(body);
  root.append(table);
  if (hasReportSection(reports)) {
    root.append(renderReports(reports, blocked?.reported ?? 0, trans));
  }
  return root;
}

/** Plain-text report, for the Copy button. */
export function textReport(
  facts: IFacts,
  diagnosis: IDiagnosis,
  reports?: IReports | null,
  blocked?: IBlockedSection | null,
  trans: TranslationBundle = untranslated
): string {
  const lines = [
    trans.__('Cross-origin isolation: %1', diagnosis.state),
    diagnosis.summary,
    ''
  ];
  for (const reason of diagnosis.reasons) {
    lines.push(
      `[${reason.severity}] ${reason.title}`,
      `  ${reason.detail}`,
      `  ${fixLine(reason.fix, trans)}`
    );
  }
  const blockedText = blockedLines(blocked ?? null, trans);
  if (blockedText.length) {
    lines.push('', ...blockedText);
  }
  lines.push('');
  for (const cap of diagnosis.capabilities) {
    lines.push(capabilityLine(cap, trans));
  }
  lines.push('');
  for (const row of factRows(facts, diagnosis.page, trans)) {
    lines.push(trans.__('%1: %2', row.label, row.display));
  }
  lines.push(trans.__('User agent: %1', facts.userAgent));
  const reported = reportLines(reports, blocked?.reported ?? 0, trans);
  if (reported.length) {
    lines.push('', ...reported);
  }
  return lines.join('\n');
}

/** Show the dialog; resolves when it closes. */
export async function showDetails(
  facts: IFacts,
  diagnosis: IDiagnosis,
  reports?: IReports | null,
  blocked?: IBlockedSection | null,
  trans: TranslationBundle = untranslated
): Promise<void> {
  const copy = Dialog.createButton({
    label: trans.__('Copy Report'),
    displayType: 'default'
  });
  const close = Dialog.okButton({ label: trans.__('Close') });
  const result = await showDialog({
    title: trans.__('Cross-Origin Isolation'),
    body: new Widget({
      node: renderDetails(facts, diagnosis, reports, blocked, trans)
    }),
    buttons: [copy, close],
    defaultButton: 1
  });
  if (result.button.label === copy.label) {
    Clipboard.copyToSystem(
      textReport(facts, diagnosis, reports, blocked, trans)
    );
  }
}
