/**
 * The dialog's body and the copied report: every word through the translation bundle, every
 * value the page read (header values, URLs, the user agent) as it is. Jest runs without a DOM:
 * the body is built in the fake document of fakedom.ts, and the dialog machinery, which needs
 * a browser to load, is left out.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import policy from '../../src/policy.json';
import { BlockedLoads, blockedView } from '../../src/indicator/blocked';
import { diagnose } from '../../src/indicator/diagnosis';
import { renderDetails, textReport } from '../../src/indicator/dialog';
import { IPage } from '../../src/indicator/page';
import { IReports } from '../../src/indicator/reports';
import { recordingBundle } from '../bundle';
import { notIsolatedFacts, sent } from './facts';
import { FakeElement, withFakeDocument } from './fakedom';

jest.mock('@jupyterlab/apputils', () => ({}));
jest.mock('@lumino/widgets', () => ({}));

const OPENER = 'same-origin-allow-popups; report-to="coop"';
const EMBEDDER = 'require-corp';
const USER_AGENT = 'test-agent/1.0 (like Gecko)';
const OTHER = 'http://127.0.0.1:4567';
const PAGE: IPage = {
  deployment: 'server',
  inBrowserKernels: ['Python (Pyodide)']
};
const FACTS = notIsolatedFacts({
  headers: sent(OPENER, EMBEDDER),
  userAgent: USER_AGENT
});
const REPORTS: IReports = {
  reporting: true,
  mode: 'enforce',
  dropped: 0,
  reports: [
    {
      kind: 'coop',
      disposition: 'reporting',
      reason: 'navigation-from-response',
      destination: '',
      blocked: `${OTHER}/popup`,
      page: 'http://127.0.0.1:8888/lab',
      count: 1,
      first_seen: 1764000000,
      from_viewer: false
    }
  ]
};

/** The dialog's body and the copied report, in the words of `trans` (the defaults without). */
function texts(trans?: TranslationBundle) {
  const seen = new BlockedLoads('http://127.0.0.1:8888');
  seen.add(`${OTHER}/pixel.png`, 'image');
  const diagnosis = diagnose(FACTS, PAGE, trans);
  const view = blockedView(seen, REPORTS, FACTS, PAGE.deployment, trans);
  const body = withFakeDocument(
    () =>
      renderDetails(
        FACTS,
        diagnosis,
        view.reports,
        view.section,
        trans
      ) as unknown as FakeElement
  );
  const report = textReport(
    FACTS,
    diagnosis,
    view.reports,
    view.section,
    trans
  );
  return { body, report };
}

const headings = (body: FakeElement) => body.all('h3').map(h => h.textContent);

describe('the dialog through a translation bundle', () => {
  it('speaks English by default', () => {
    const { body, report } = texts();
    expect(headings(body)).toEqual([
      'Why',
      'Blocked by isolation',
      'What works here',
      'Facts',
      'Reported by the browser'
    ]);
    expect(body.all('strong')[0].textContent).toBe(
      'This page is not cross-origin isolated.'
    );
    expect(report.split('\n')[0]).toBe('Cross-origin isolation: not-isolated');
  });

  it("translates the body's words, and shows what the page read as it is", () => {
    const { trans, msgids } = recordingBundle();
    const { body } = texts(trans);
    expect(headings(body)).toEqual([
      'WHY',
      'BLOCKED BY ISOLATION',
      'WHAT WORKS HERE',
      'FACTS',
      'REPORTED BY THE BROWSER'
    ]);
    expect(body.all('strong')[0].textContent).toBe(
      'THIS PAGE IS NOT CROSS-ORIGIN ISOLATED.'
    );
    const fixes = body
      .all('p')
      .filter(p => p.className.split(' ').includes('jp-coi-fix'));
    expect(fixes.length).toBeGreaterThan(2);
    for (const fix of fixes) {
      expect(fix.textContent).toMatch(/^FIX: /);
    }
    const rows = body
      .all('tr')
      .map(tr => tr.children.map(c => (c as FakeElement).textContent));
    expect(rows).toEqual(
      expect.arrayContaining([
        ['window.crossOriginIsolated', 'false'],
        ['SECURE CONTEXT (HTTPS OR LOCALHOST)', 'YES'],
        [policy.headers.opener, OPENER],
        [policy.headers.resource, 'NOT SENT'],
        ['SHARED WEBASSEMBLY.MEMORY', 'CANNOT BE CREATED'],
        ['IN-BROWSER PYTHON KERNELS', 'Python (Pyodide)']
      ])
    );
    const capabilities = body
      .all('li')
      .filter(li => li.className === 'jp-coi-capability')
      .map(li => li.all('strong')[0].textContent);
    expect(capabilities).toContain('SHAREDARRAYBUFFER: UNAVAILABLE');
    const entry = body.all('li').find(li => li.className === 'jp-coi-report')!;
    expect(entry.textContent).toBe(
      `window: ${OTHER}/popup (COOP: navigation-from-response) ON /lab [FROM ANOTHER ADDRESS]`
    );
    // No English of the sources is left anywhere in the body.
    expect(body.textContent).not.toMatch(/[a-z]{3,} [a-z]{3,}/);
    expectValuesNotMessages(msgids);
  });

  it('translates the copied report the same way', () => {
    const { trans, msgids } = recordingBundle();
    const lines = texts(trans).report.split('\n');
    expect(lines[0]).toBe('CROSS-ORIGIN ISOLATION: not-isolated');
    expect(lines).toEqual(
      expect.arrayContaining([
        '[problem] Cross-Origin-Opener-Policy DOES NOT ISOLATE',
        'BLOCKED BY ISOLATION',
        'SHAREDARRAYBUFFER: UNAVAILABLE',
        'SECURE CONTEXT (HTTPS OR LOCALHOST): YES',
        `${policy.headers.opener}: ${OPENER}`,
        `USER AGENT: ${USER_AGENT}`,
        'REPORTED BY THE BROWSER'
      ])
    );
    expect(lines.join('\n')).not.toMatch(/[a-z]{3,} [a-z]{3,}/);
    expect(lines.filter(l => l.startsWith('  FIX: ')).length).toBe(
      lines.filter(l => l.startsWith('[')).length
    );
    expectValuesNotMessages(msgids);
  });
});

/** No message is a value the page read, or a piece of a sentence. */
function expectValuesNotMessages(msgids: string[]) {
  expect(msgids.length).toBeGreaterThan(50);
  for (const msgid of msgids) {
    expect(msgid).toBe(msgid.trim());
    for (const value of [
      OPENER,
      EMBEDDER,
      USER_AGENT,
      OTHER,
      'Python (Pyodide)',
      'not-isolated',
      ...Object.values(policy.headers)
    ]) {
      expect(msgid).not.toContain(value);
    }
  }
}
