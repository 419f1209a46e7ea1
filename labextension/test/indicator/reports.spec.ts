/**
 * The violation reports: the parser against what a server (or anything else answering at that
 * URL) may send, the bounded request, and the text the dialog and the copied report show.
 * Jest runs without a DOM: the dialog's list items are built from `reportSegments`, whose
 * joined text is what is tested here.
 */
import { ServerConnection } from '@jupyterlab/services';
import {
  IReport,
  IReports,
  NO_REPORTS,
  REPORTS_HEADING,
  REPORTS_LISTED_AS_BLOCKED,
  UNVOUCHED_LINE,
  ReportsRequest,
  describeReport,
  fetchReports,
  hasReportSection,
  noReportsLine,
  pagePath,
  parseReports,
  reportGroups,
  reportLines,
  reportSegments
} from '../../src/indicator/reports';
import { recordingBundle } from '../bundle';

/** One report as the server sends it. */
function entry(
  overrides: Record<string, unknown> = {}
): Record<string, unknown> {
  return {
    kind: 'coep',
    disposition: 'reporting',
    reason: 'corp',
    destination: 'image',
    blocked: 'http://127.0.0.1:4567/pixel.png',
    page: 'http://127.0.0.1:8888/lab/tree/a.ipynb',
    count: 2,
    first_seen: 1764000000.5,
    from_viewer: true,
    ...overrides
  };
}

function answer(
  overrides: Record<string, unknown> = {}
): Record<string, unknown> {
  return {
    reporting: true,
    mode: 'report-only',
    reports: [entry()],
    dropped: 0,
    ...overrides
  };
}

/** Parsed, for the text tests. */
function reports(
  entries: Record<string, unknown>[],
  overrides: Record<string, unknown> = {}
): IReports {
  const parsed = parseReports(answer({ reports: entries, ...overrides }));
  if (!parsed) {
    throw new Error('test data does not parse');
  }
  return parsed;
}

describe('parseReports', () => {
  it('takes a well-formed answer as it is', () => {
    expect(parseReports(answer())).toEqual({
      reporting: true,
      mode: 'report-only',
      reports: [entry()],
      dropped: 0
    });
    expect(
      parseReports(answer({ mode: 'enforce', reports: [], dropped: 7 }))
    ).toEqual({
      reporting: true,
      mode: 'enforce',
      reports: [],
      dropped: 7
    });
  });

  it('keeps empty destination and blocked URL, and every kind and disposition', () => {
    const entries = [
      entry({ destination: '', blocked: '' }),
      entry({
        kind: 'coop',
        disposition: 'enforce',
        reason: 'navigation-from-response',
        destination: ''
      })
    ];
    expect(parseReports(answer({ reports: entries }))?.reports).toEqual(
      entries
    );
  });

  it('leaves out fields it does not know', () => {
    const parsed = parseReports({
      ...answer({ reports: [entry({ extra: '<b>' })] }),
      other: 1
    });
    expect(parsed).toEqual(answer());
  });

  it('rejects answers that are not the endpoint’s', () => {
    for (const json of [
      null,
      undefined,
      'reports',
      42,
      true,
      [],
      [answer()],
      {},
      { detail: 'Not Found' },
      answer({ reporting: 'true' }),
      answer({ reporting: 1 }),
      answer({ reporting: undefined }),
      answer({ mode: 'off' }),
      answer({ mode: 'ENFORCE' }),
      answer({ mode: null }),
      answer({ reports: null }),
      answer({ reports: { 0: entry() } }),
      answer({ reports: 'entry' }),
      answer({ dropped: -1 }),
      answer({ dropped: '0' }),
      answer({ dropped: 1.5 }),
      answer({ dropped: Infinity }),
      answer({ dropped: undefined })
    ]) {
      expect(parseReports(json)).toBeNull();
    }
  });

  it('drops malformed entries and keeps the rest', () => {
    const garbage = [
      null,
      undefined,
      0,
      'corp',
      [],
      [entry()],
      {},
      entry({ kind: 'corp' }),
      entry({ kind: 'COEP' }),
      entry({ disposition: 'report' }),
      entry({ disposition: undefined }),
      entry({ reason: 3 }),
      entry({ reason: undefined }),
      entry({ destination: null }),
      entry({ blocked: { href: 'http://x/' } }),
      entry({ blocked: ['http://x/'] }),
      entry({ page: undefined }),
      entry({ count: '2' }),
      entry({ count: 0 }),
      entry({ count: -3 }),
      entry({ count: 2.5 }),
      entry({ count: NaN }),
      entry({ count: 1e300 }),
      entry({ count: Number.MAX_SAFE_INTEGER + 1 }),
      entry({ first_seen: '1764000000' }),
      entry({ first_seen: null }),
      entry({ first_seen: Infinity })
    ];
    const good = [
      entry(),
      entry({
        blocked: 'http://127.0.0.1:4567/x.js',
        destination: 'script',
        count: 1
      })
    ];
    const parsed = parseReports(
      answer({ reports: [garbage[0], good[0], ...garbage.slice(1), good[1]] })
    );
    expect(parsed?.reports).toEqual(good);
  });

  it('keeps large counts that are exact', () => {
    const big = Number.MAX_SAFE_INTEGER;
    expect(
      parseReports(answer({ reports: [entry({ count: big })] }))?.reports[0]
        .count
    ).toBe(big);
  });

  it('leaves an answer with nothing but garbage as an empty list', () => {
    expect(
      parseReports(answer({ reports: [1, 'a', null, {}] }))?.reports
    ).toEqual([]);
  });
});

describe('fetchReports', () => {
  const settings = {
    baseUrl: 'http://127.0.0.1:8888/user/x/'
  } as ServerConnection.ISettings;
  // What the server extension puts in the page config (jupyter_coi/extension.py).
  const PATH = 'api/coi/reports';

  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    warnings = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    // A server without the endpoint is normal: nothing may end up in the console.
    expect(errors).not.toHaveBeenCalled();
    expect(warnings).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });

  const respond = (body: string, status = 200): ReportsRequest =>
    jest.fn(
      async () =>
        new Response(body, {
          status,
          headers: { 'Content-Type': 'application/json' }
        })
    );

  it('asks the server under its base URL, with a signal that can stop the request', async () => {
    const request = respond(JSON.stringify(answer()));
    await expect(fetchReports(settings, PATH, request)).resolves.toEqual(
      answer()
    );
    const [url, init, passed] = (request as jest.Mock).mock.calls[0];
    expect(url).toBe('http://127.0.0.1:8888/user/x/api/coi/reports');
    expect(init.method).toBe('GET');
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(passed).toBe(settings);
  });

  it('is null on a 404, as from a server without the extension', async () => {
    await expect(
      fetchReports(settings, PATH, respond('{"message": "Not Found"}', 404))
    ).resolves.toBeNull();
  });

  it('is null on a server error', async () => {
    await expect(
      fetchReports(settings, PATH, respond(JSON.stringify(answer()), 500))
    ).resolves.toBeNull();
  });

  it('is null on an answer that is not JSON, as from a static host', async () => {
    await expect(
      fetchReports(
        settings,
        PATH,
        respond('<!doctype html><title>JupyterLite</title>')
      )
    ).resolves.toBeNull();
    await expect(fetchReports(settings, PATH, respond(''))).resolves.toBeNull();
  });

  it('is null on JSON of another shape', async () => {
    await expect(
      fetchReports(settings, PATH, respond('{"reports": 3}'))
    ).resolves.toBeNull();
    await expect(
      fetchReports(settings, PATH, respond('null'))
    ).resolves.toBeNull();
  });

  it('is null on a network error, thrown or rejected', async () => {
    const rejects: ReportsRequest = async () => {
      throw new TypeError('Failed to fetch');
    };
    const throws: ReportsRequest = () => {
      throw new Error('Can only be used for notebook server requests');
    };
    await expect(fetchReports(settings, PATH, rejects)).resolves.toBeNull();
    await expect(fetchReports(settings, PATH, throws)).resolves.toBeNull();
  });

  it('gives up after the timeout and stops the request', async () => {
    let signal: AbortSignal | null | undefined;
    const hangs: ReportsRequest = (_url, init) => {
      signal = init.signal;
      // Rejects when aborted, as fetch does.
      return new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () =>
          reject(new Error('aborted'))
        )
      );
    };
    const started = Date.now();
    await expect(fetchReports(settings, PATH, hangs, 30)).resolves.toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(signal?.aborted).toBe(true);
  });

  it('gives up even when the request ignores the signal, or the body never ends', async () => {
    const ignores: ReportsRequest = () => new Promise(() => undefined);
    await expect(fetchReports(settings, PATH, ignores, 30)).resolves.toBeNull();
    const endless: ReportsRequest = async () =>
      ({
        ok: true,
        status: 200,
        json: () => new Promise(() => undefined)
      }) as unknown as Response;
    await expect(fetchReports(settings, PATH, endless, 30)).resolves.toBeNull();
  });

  it('goes through ServerConnection.makeRequest by default, with the server settings', async () => {
    const fetch = jest.fn(async (request: Request) => {
      expect(new URL(request.url).pathname).toBe('/user/x/api/coi/reports');
      return new Response(JSON.stringify(answer()), { status: 200 });
    });
    const real = ServerConnection.makeSettings({
      baseUrl: 'http://127.0.0.1:8888/user/x/',
      fetch: fetch as unknown as typeof globalThis.fetch,
      token: ''
    });
    await expect(fetchReports(real, PATH)).resolves.toEqual(answer());
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('report text', () => {
  it('describes an entry: destination, URL, count, why, page path', () => {
    const [report] = reports([entry()]).reports;
    expect(describeReport(report)).toBe(
      'image: http://127.0.0.1:4567/pixel.png ×2 (COEP: corp) on /lab/tree/a.ipynb'
    );
    expect(reportSegments(report).filter(([cls]) => cls)).toEqual([
      ['jp-coi-report-destination', 'image'],
      ['jp-coi-report-url', 'http://127.0.0.1:4567/pixel.png'],
      ['jp-coi-report-count', '×2'],
      ['jp-coi-report-reason', 'COEP: corp'],
      ['jp-coi-report-page', '/lab/tree/a.ipynb']
    ]);
  });

  it('leaves out a count of one, and names what is missing', () => {
    const [coep, coop] = reports([
      entry({ count: 1, destination: '', blocked: '', reason: '' }),
      entry({
        kind: 'coop',
        reason: 'access-from-coop-page-to-opener',
        destination: '',
        blocked: 'http://other/'
      })
    ]).reports;
    expect(describeReport(coep)).toBe(
      'resource: (no URL given) (COEP) on /lab/tree/a.ipynb'
    );
    expect(describeReport(coop)).toBe(
      'window: http://other/ ×2 (COOP: access-from-coop-page-to-opener) on /lab/tree/a.ipynb'
    );
  });

  it('keeps a poster’s text on one line and short', () => {
    const [report] = reports([
      entry({ blocked: 'http://x/\n[problem] forged line' + 'a'.repeat(1000) })
    ]).reports;
    const line = describeReport(report);
    expect(line).not.toContain('\n');
    expect(line).toContain('http://x/ [problem] forged line');
    expect(line.length).toBeLessThan(400);
    expect(line).toContain('a…');
  });

  it('shows the path of the reporting page, or what was sent when it is not a URL', () => {
    expect(pagePath('http://127.0.0.1:8888/user/x/lab?reset')).toBe(
      '/user/x/lab'
    );
    expect(pagePath('not a url')).toBe('not a url');
    expect(pagePath('')).toBe('');
    const [report] = reports([entry({ page: '' })]).reports;
    expect(describeReport(report)).toBe(
      'image: http://127.0.0.1:4567/pixel.png ×2 (COEP: corp)'
    );
  });

  it('in report-only mode, says what would be blocked', () => {
    const r = reports([
      entry(),
      entry({ blocked: 'http://127.0.0.1:4567/b.js' }),
      entry({ blocked: 'http://c/' })
    ]);
    expect(reportLines(r)).toEqual([
      REPORTS_HEADING,
      'These 3 resources would be blocked once isolation is enforced:',
      '  image: http://127.0.0.1:4567/pixel.png ×2 (COEP: corp) on /lab/tree/a.ipynb',
      '  image: http://127.0.0.1:4567/b.js ×2 (COEP: corp) on /lab/tree/a.ipynb',
      '  image: http://c/ ×2 (COEP: corp) on /lab/tree/a.ipynb'
    ]);
    expect(reportLines(reports([entry()]))[1]).toBe(
      'This resource would be blocked once isolation is enforced:'
    );
  });

  it('in enforce mode, says what was blocked, before anything only reported', () => {
    const r = reports(
      [
        entry({ disposition: 'reporting', blocked: 'http://r/' }),
        entry({ disposition: 'enforce' }),
        entry({ disposition: 'enforce', count: 1 })
      ],
      { mode: 'enforce' }
    );
    expect(
      reportGroups(r).map(g => [g.disposition, g.intro, g.reports.length])
    ).toEqual([
      ['enforce', 'These 2 resources were blocked:', 2],
      [
        'reporting',
        'This resource would be blocked once isolation is enforced:',
        1
      ]
    ]);
    expect(reportLines(r)).toEqual([
      REPORTS_HEADING,
      'These 2 resources were blocked:',
      '  image: http://127.0.0.1:4567/pixel.png ×2 (COEP: corp) on /lab/tree/a.ipynb',
      '  image: http://127.0.0.1:4567/pixel.png (COEP: corp) on /lab/tree/a.ipynb',
      'This resource would be blocked once isolation is enforced:',
      '  image: http://r/ ×2 (COEP: corp) on /lab/tree/a.ipynb'
    ]);
  });

  it('marks what came from another address, and says what that means', () => {
    const lines = reportLines(
      reports([
        entry(),
        entry({ blocked: 'http://x.example/y.png', from_viewer: false })
      ])
    );
    expect(lines.filter(l => l.endsWith('[from another address]'))).toEqual([
      '  image: http://x.example/y.png ×2 (COEP: corp) on /lab/tree/a.ipynb [from another address]'
    ]);
    expect(lines[lines.length - 1]).toBe(UNVOUCHED_LINE);
    expect(reportLines(reports([entry()]))).not.toContain(UNVOUCHED_LINE);
  });

  it('vouches for nothing a server does not say came from the viewer', () => {
    const parsed = parseReports(
      answer({ reports: [entry({ from_viewer: undefined })] })
    );
    expect(parsed?.reports[0].from_viewer).toBe(false);
  });

  it('says when nothing was reported yet, and how many reports were not kept', () => {
    expect(reportLines(reports([]))).toEqual([REPORTS_HEADING, NO_REPORTS]);
    expect(NO_REPORTS).toBe('No violations reported yet.');
    const full = reportLines(reports([entry()], { dropped: 12 }));
    expect(full[full.length - 1]).toBe(
      '12 more reports were not kept: the server keeps a limited number.'
    );
    const one = reportLines(reports([entry()], { dropped: 1 }));
    expect(one[one.length - 1]).toBe(
      '1 more report was not kept: the server keeps a limited number.'
    );
  });

  it('has no section without reports, or when reporting is off and none were kept', () => {
    expect(hasReportSection(null)).toBe(false);
    expect(hasReportSection(undefined)).toBe(false);
    expect(reportLines(null)).toEqual([]);
    expect(reportLines(undefined)).toEqual([]);
    const off = reports([], { reporting: false });
    expect(hasReportSection(off)).toBe(false);
    expect(reportLines(off)).toEqual([]);
    // Reports kept from before reporting was turned off are still worth showing.
    const kept = reports([entry()], { reporting: false });
    expect(hasReportSection(kept)).toBe(true);
    expect(reportLines(kept)[0]).toBe(REPORTS_HEADING);
  });

  it('builds text only from the report’s fields (what the dialog puts in textContent)', () => {
    const hostile: IReport = {
      ...(entry() as unknown as IReport),
      blocked: '<img src=x onerror=alert(1)>',
      destination: '<script>'
    };
    const joined = reportSegments(hostile)
      .map(([, text]) => text)
      .join('');
    expect(joined).toBe(describeReport(hostile));
    expect(joined).toContain('<img src=x onerror=alert(1)>');
  });
});

describe('reports listed as blocked loads', () => {
  it('says where they went when none is left to list', () => {
    const none = reports([]);
    expect(reportLines(none)).toContain(NO_REPORTS);
    expect(reportLines(none, 2)).toContain(REPORTS_LISTED_AS_BLOCKED);
    expect(noReportsLine(0)).toBe(NO_REPORTS);
    expect(noReportsLine(1)).toBe(REPORTS_LISTED_AS_BLOCKED);
  });
});

describe('report text through a translation bundle', () => {
  it('translates the section and the words of each entry, never what a poster sent', () => {
    const { trans, msgids } = recordingBundle();
    const r = reports(
      [
        entry({ disposition: 'enforce' }),
        entry({ disposition: 'enforce', blocked: '', from_viewer: false }),
        entry({ page: '' })
      ],
      { mode: 'enforce', dropped: 3 }
    );
    expect(reportLines(r, 0, trans)).toEqual([
      'REPORTED BY THE BROWSER',
      'THESE 2 RESOURCES WERE BLOCKED:',
      '  image: http://127.0.0.1:4567/pixel.png ×2 (COEP: corp) ON /lab/tree/a.ipynb',
      '  image: (NO URL GIVEN) ×2 (COEP: corp) ON /lab/tree/a.ipynb [FROM ANOTHER ADDRESS]',
      'THIS RESOURCE WOULD BE BLOCKED ONCE ISOLATION IS ENFORCED:',
      '  image: http://127.0.0.1:4567/pixel.png ×2 (COEP: corp)',
      expect.stringMatching(
        /^REPORTS MARKED "FROM ANOTHER ADDRESS" WERE NOT POSTED/
      ),
      '3 MORE REPORTS WERE NOT KEPT: THE SERVER KEEPS A LIMITED NUMBER.'
    ]);
    expect(reportLines(reports([]), 2, trans)[1]).toBe(
      'THE RESOURCES THE BROWSER REPORTED AS BLOCKED ARE LISTED UNDER "BLOCKED BY ISOLATION".'
    );
    for (const msgid of msgids) {
      expect(msgid).toBe(msgid.trim());
      for (const value of ['http', 'image', 'corp', 'COEP', '/lab']) {
        expect(msgid).not.toContain(value);
      }
    }
  });

  it('puts the marked-up parts where a translation puts their placeholders', () => {
    const { trans } = recordingBundle(msgid =>
      msgid === '%1: %2 (%3) on %4' ? 'auf %4: %2, %1 [%3]' : msgid
    );
    const [report] = reports([entry()]).reports;
    expect(describeReport(report, trans)).toBe(
      'auf /lab/tree/a.ipynb: http://127.0.0.1:4567/pixel.png ×2, image [COEP: corp]'
    );
    expect(
      reportSegments(report, trans)
        .filter(([cls]) => cls)
        .map(([cls]) => cls)
    ).toEqual([
      'jp-coi-report-page',
      'jp-coi-report-url',
      'jp-coi-report-count',
      'jp-coi-report-destination',
      'jp-coi-report-reason'
    ]);
  });
});
