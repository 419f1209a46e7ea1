/**
 * What the dialog says isolation blocked: which failing elements count, the bounded and
 * deduplicated list, the merge with the server's reports, the grouping by origin, and the
 * advice, whose values come from policy.json. Jest runs without a DOM: elements are plain
 * objects with the few members the code reads.
 */
import policy from '../../src/policy.json';
import { isolatedFacts } from './facts';
import {
  BLOCKED_CAP,
  BlockedLoads,
  ILoadingElement,
  SETTING_NAMES,
  SYMPTOMS,
  blockedFixes,
  blockedLines,
  blockedSection,
  blockedView,
  combineBlocked,
  groupByOrigin,
  noCorsLoad,
  resourceKey
} from '../../src/indicator/blocked';
import { IFacts } from '../../src/indicator/facts';
import { credentiallessSupported } from '../../src/indicator/headers';
import { IReport, IReports } from '../../src/indicator/reports';
import { recordingBundle } from '../bundle';

const PAGE = 'http://127.0.0.1:8888';
const OTHER = 'http://127.0.0.1:4567';
const TILES = 'https://tile.example.org';
const REQUIRE_CORP = policy.credentialless.fallback;
const CREDENTIALLESS = policy.credentialless.value;
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

function element(
  tagName: string,
  attributes: Record<string, string>,
  extra: Partial<ILoadingElement> = {}
): ILoadingElement {
  return {
    tagName,
    getAttribute: name => attributes[name] ?? null,
    hasAttribute: name => name in attributes,
    baseURI: `${PAGE}/lab/tree/a.ipynb`,
    ...extra
  };
}

function facts(embedder: string | null, userAgent = CHROME): IFacts {
  return isolatedFacts({
    headers: { opener: 'same-origin', embedder, resource: 'same-origin' },
    userAgent
  });
}

function report(overrides: Partial<IReport> = {}): IReport {
  return {
    kind: 'coep',
    disposition: 'enforce',
    reason: 'corp',
    destination: 'image',
    blocked: `${OTHER}/pixel.png`,
    page: `${PAGE}/lab`,
    count: 1,
    first_seen: 1764000000,
    from_viewer: true,
    ...overrides
  };
}

function reports(entries: IReport[]): IReports {
  return { reporting: true, mode: 'enforce', reports: entries, dropped: 0 };
}

describe('noCorsLoad', () => {
  it('takes the no-cors loads of images, scripts, stylesheets and media', () => {
    expect(noCorsLoad(element('IMG', { src: 'x.png' }))).toEqual({
      raw: 'x.png',
      destination: 'image'
    });
    expect(
      noCorsLoad(
        element(
          'IMG',
          { src: 'small.png', srcset: 'big.png 2x' },
          { currentSrc: `${OTHER}/big.png` }
        )
      )
    ).toEqual({ raw: `${OTHER}/big.png`, destination: 'image' });
    expect(noCorsLoad(element('SCRIPT', { src: 'w.js' }))?.destination).toBe(
      'script'
    );
    expect(
      noCorsLoad(element('LINK', { rel: 'stylesheet', href: 's.css' }))
    ).toEqual({ raw: 's.css', destination: 'style' });
    expect(noCorsLoad(element('VIDEO', { src: 'v.mp4' }))?.destination).toBe(
      'media'
    );
    expect(noCorsLoad(element('image', { href: 'i.png' }))?.destination).toBe(
      'image'
    );
  });

  it('leaves out CORS requests, which COEP lets through', () => {
    expect(
      noCorsLoad(element('IMG', { src: 'x.png', crossorigin: '' }))
    ).toBeNull();
    expect(
      noCorsLoad(element('SCRIPT', { src: 'm.js', type: 'module' }))
    ).toBeNull();
    expect(
      noCorsLoad(element('LINK', { rel: 'modulepreload', href: 'm.js' }))
    ).toBeNull();
  });

  it('leaves out elements that load nothing or that are not loads', () => {
    expect(noCorsLoad(element('IMG', {}))).toBeNull();
    expect(noCorsLoad(element('DIV', { src: 'x.png' }))).toBeNull();
    expect(noCorsLoad(element('SCRIPT', {}))).toBeNull(); // an inline script
  });
});

describe('resourceKey', () => {
  it('keeps origin and path, without query or fragment', () => {
    expect(resourceKey(`${OTHER}/a/b.png?token=secret#x`)).toEqual({
      origin: OTHER,
      path: '/a/b.png'
    });
    expect(resourceKey('b.png', `${OTHER}/a/`)).toEqual({
      origin: OTHER,
      path: '/a/b.png'
    });
  });

  it('is null for what is not an http(s) URL', () => {
    expect(resourceKey('data:image/png;base64,AAAA')).toBeNull();
    expect(resourceKey('blob:http://127.0.0.1:8888/1234')).toBeNull();
    expect(resourceKey('not a url')).toBeNull();
  });
});

describe('BlockedLoads', () => {
  it('counts only cross-origin loads, each origin and path once', () => {
    const loads = new BlockedLoads(PAGE);
    expect(loads.addElement(element('IMG', { src: '/files/a.png' }))).toBe(
      false
    );
    expect(
      loads.addElement(element('IMG', { src: `${OTHER}/pixel.png?v=1` }))
    ).toBe(true);
    expect(
      loads.addElement(element('IMG', { src: `${OTHER}/pixel.png?v=2` }))
    ).toBe(false);
    expect(
      loads.addElement(element('SCRIPT', { src: `${OTHER}/widget.js` }))
    ).toBe(true);
    expect(loads.loads.map(l => [l.url, l.destination, l.seenBy])).toEqual([
      [`${OTHER}/pixel.png`, 'image', ['page']],
      [`${OTHER}/widget.js`, 'script', ['page']]
    ]);
    expect(loads.dropped).toBe(0);
  });

  it('keeps at most its cap, and counts the rest', () => {
    const loads = new BlockedLoads(PAGE, 3);
    for (let i = 0; i < 5; i++) {
      loads.add(`${TILES}/${i}.png`, 'image');
    }
    loads.add(`${TILES}/0.png`, 'image'); // a repeat of a kept one is not dropped
    expect(loads.loads.map(l => l.path)).toEqual([
      '/0.png',
      '/1.png',
      '/2.png'
    ]);
    expect(loads.dropped).toBe(2);
    expect(new BlockedLoads(PAGE).cap).toBe(BLOCKED_CAP);
  });
});

describe('combineBlocked', () => {
  const seen = () => {
    const loads = new BlockedLoads(PAGE);
    loads.add(`${OTHER}/pixel.png`, 'image');
    loads.add(`${OTHER}/widget.js`, 'script');
    return loads;
  };

  it('lists a resource seen by the page and reported by the browser once', () => {
    const combined = combineBlocked(
      seen(),
      reports([
        report({ blocked: `${OTHER}/pixel.png?token=[secret]` }),
        report({ blocked: `${TILES}/1/2/3.png` })
      ]),
      true
    );
    expect(combined.loads.map(l => [l.url, l.seenBy])).toEqual([
      [`${OTHER}/pixel.png`, ['page', 'report']],
      [`${OTHER}/widget.js`, ['page']],
      [`${TILES}/1/2/3.png`, ['report']]
    ]);
    expect(combined.merged).toBe(2);
    expect(combined.reportsLeft?.reports).toEqual([]);
  });

  it('leaves would-be blocks, COOP and URL-less reports among the reports', () => {
    const left = [
      report({ disposition: 'reporting' }),
      report({ kind: 'coop', reason: 'navigation-from-response', blocked: '' }),
      report({ blocked: '' }),
      report({ blocked: `${PAGE}/files/a.png` })
    ];
    const combined = combineBlocked(seen(), reports(left), true);
    expect(combined.reportsLeft?.reports).toEqual(left);
    expect(combined.merged).toBe(0);
  });

  it('makes no advice of a report from another address, which may be made up', () => {
    const made = report({
      blocked: `${TILES}/made-up.png`,
      from_viewer: false
    });
    const combined = combineBlocked(
      new BlockedLoads(PAGE),
      reports([made]),
      true
    );
    expect(combined.loads).toEqual([]);
    expect(combined.reportsLeft?.reports).toEqual([made]);
  });

  it("leaves out the page's own failures where its COEP does not block them", () => {
    const combined = combineBlocked(seen(), reports([report()]), false);
    expect(combined.loads.map(l => [l.url, l.seenBy])).toEqual([
      [`${OTHER}/pixel.png`, ['report']]
    ]);
    expect(combineBlocked(seen(), null, false)).toEqual({
      loads: [],
      reportsLeft: null,
      merged: 0
    });
  });
});

describe('groupByOrigin', () => {
  it('groups by origin in the order of first failure, a few URLs each', () => {
    const loads = new BlockedLoads(PAGE);
    for (const path of ['/1.png', '/2.png', '/3.png', '/4.png', '/5.png']) {
      loads.add(TILES + path, 'image');
    }
    loads.add(`${OTHER}/widget.js`, 'script');
    const groups = groupByOrigin(loads.loads);
    expect(
      groups.map(g => [g.origin, g.shown.map(l => l.path), g.more, g.total])
    ).toEqual([
      [TILES, ['/1.png', '/2.png', '/3.png'], 2, 5],
      [OTHER, ['/widget.js'], 0, 1]
    ]);
  });
});

describe('the advice', () => {
  it('names the server setting and the default, with values from the policy', () => {
    const [server, resource] = blockedFixes('server', true, [OTHER]);
    expect(server.id).toBe('server-embedder-policy');
    expect(server.text).toContain(
      `${SETTING_NAMES.server} = "${CREDENTIALLESS}"`
    );
    expect(server.text).toContain(
      `the default, "${policy.settingDefaults.embedder}"`
    );
    expect(resource.id).toBe('resource-policy');
    expect(resource.text).toContain(
      `Have ${OTHER} send ${policy.headers.resource}: ${policy.resourceConsent}`
    );
  });

  it("names JupyterLite's addon setting on a JupyterLite site", () => {
    const [lite] = blockedFixes('lite', true);
    expect(lite.id).toBe('lite-embedder-policy');
    expect(lite.text).toContain(`${SETTING_NAMES.lite} = "${CREDENTIALLESS}"`);
    expect(lite.text).not.toContain(SETTING_NAMES.server);
  });

  it('names both where the page does not say where it comes from', () => {
    const [other] = blockedFixes('other', true);
    expect(other.text).toContain(
      `${policy.headers.embedder}: ${CREDENTIALLESS}`
    );
    expect(other.text).toContain(SETTING_NAMES.server);
    expect(other.text).toContain(SETTING_NAMES.lite);
  });

  it('offers no COEP change in a browser without credentialless', () => {
    const fixes = blockedFixes('server', false, [OTHER]);
    expect(fixes.map(f => f.id)).toEqual([
      'browser-without-credentialless',
      'resource-policy'
    ]);
    expect(fixes[0].text).not.toContain(SETTING_NAMES.server);
  });

  it("follows the policy's rule for which browsers have credentialless", () => {
    expect(credentiallessSupported(CHROME)).toBe(true);
    expect(
      credentiallessSupported(
        'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0'
      )
    ).toBe(true);
    expect(
      credentiallessSupported(
        'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0'
      )
    ).toBe(false);
    expect(credentiallessSupported(SAFARI)).toBe(false);
    expect(
      credentiallessSupported(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) CriOS/156.0 Mobile/15E148'
      )
    ).toBe(false);
  });
});

describe('blockedSection', () => {
  const loads = () => {
    const seen = new BlockedLoads(PAGE);
    seen.add(`${OTHER}/pixel.png`, 'image');
    return seen.loads;
  };

  it('is absent when nothing is blocked and nothing is likely to be', () => {
    expect(blockedSection([], 0, false, 'server', true)).toBeNull();
  });

  it('lists the loads and what fixes them', () => {
    const section = blockedSection(loads(), 0, true, 'server', true);
    expect(section?.intro).toContain(
      `${policy.headers.embedder} is ${REQUIRE_CORP}`
    );
    expect(section?.origins.map(o => o.origin)).toEqual([OTHER]);
    expect(section?.symptoms).toEqual([]);
    expect(section?.caveat).toContain('a missing file');
    expect(section?.fixes.map(f => f.id)).toEqual([
      'server-embedder-policy',
      'resource-policy'
    ]);
  });

  it('names the common symptoms when the page blocks but saw nothing fail', () => {
    const section = blockedSection([], 0, true, 'lite', true);
    expect(section?.origins).toEqual([]);
    expect(section?.symptoms).toEqual(SYMPTOMS);
    expect(section?.symptoms.join(' ')).toContain('Grey map tiles');
    expect(section?.symptoms.join(' ')).toContain(
      '"Javascript Error: timeout"'
    );
    expect(section?.caveat).toBeNull();
    expect(section?.fixes[0].id).toBe('lite-embedder-policy');
  });

  it('as text, for the copied report', () => {
    const section = blockedSection(loads(), 2, true, 'server', true);
    const lines = blockedLines(section);
    expect(lines[0]).toBe('Blocked by isolation');
    expect(lines).toContain(`  ${OTHER}: 1 resource`);
    expect(lines).toContain('    image /pixel.png');
    expect(lines).toContain(
      '2 more failed loads were not kept: the page keeps 50.'
    );
    expect(lines.filter(l => l.startsWith('Fix: '))).toHaveLength(2);
    expect(blockedLines(null)).toEqual([]);
  });
});

describe('blockedView', () => {
  const seen = () => {
    const loads = new BlockedLoads(PAGE);
    loads.add(`${OTHER}/pixel.png`, 'image');
    return loads;
  };

  it('counts the page’s failures under require-corp, not under credentialless', () => {
    const blocking = blockedView(seen(), null, facts(REQUIRE_CORP), 'server');
    expect(blocking.section?.total).toBe(1);
    expect(
      blockedView(seen(), null, facts(CREDENTIALLESS), 'server').section
    ).toBeNull();
    // require-corp with parameters, as report-to adds them
    expect(
      blockedView(
        seen(),
        null,
        facts(`${REQUIRE_CORP}; report-to="jupyter-coi"`),
        'server'
      ).section?.total
    ).toBe(1);
    // headers that could not be read: nothing is claimed
    expect(
      blockedView(seen(), null, { ...facts(null), headers: null }, 'server')
        .section
    ).toBeNull();
  });

  it("advises by the browser's support of credentialless", () => {
    const view = blockedView(
      seen(),
      null,
      facts(REQUIRE_CORP, SAFARI),
      'server'
    );
    expect(view.section?.fixes[0].id).toBe('browser-without-credentialless');
  });

  it('moves reports of blocked resources into the section, and says so', () => {
    const view = blockedView(
      seen(),
      reports([report()]),
      facts(REQUIRE_CORP),
      'server'
    );
    expect(view.section?.reported).toBe(1);
    expect(view.section?.total).toBe(1);
    expect(view.section?.origins[0].shown[0].seenBy).toEqual([
      'page',
      'report'
    ]);
    expect(view.reports?.reports).toEqual([]);
  });
});

describe('through a translation bundle', () => {
  it('translates every sentence of the section, and no URL or header', () => {
    const { trans, msgids } = recordingBundle();
    const seen = new BlockedLoads(PAGE, 6);
    seen.add(`${OTHER}/pixel.png`, 'image');
    for (let i = 1; i <= 6; i++) {
      seen.add(`${TILES}/${i}.png`, 'image');
    }
    const view = blockedView(
      seen,
      reports([report()]),
      facts(REQUIRE_CORP),
      'sphinx',
      trans
    );
    const lines = blockedLines(view.section, trans);
    expect(lines[0]).toBe('BLOCKED BY ISOLATION');
    expect(lines[1]).toBe(
      `THIS PAGE'S ${policy.headers.embedder} IS ${REQUIRE_CORP}: A RESOURCE FROM ANOTHER ` +
        `SITE LOADS ONLY IF THAT SITE SENDS ${policy.headers.resource}: ` +
        `${policy.resourceConsent} (OR CORS). THESE DID NOT LOAD:`
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        `  ${OTHER}: 1 RESOURCE`,
        '    image /pixel.png (REPORTED)',
        `  ${TILES}: 5 RESOURCES`,
        '    AND 2 MORE',
        '1 MORE FAILED LOAD WAS NOT KEPT: THE PAGE KEEPS 50.'
      ])
    );
    expect(view.section?.caveat).toContain('MARKED "REPORTED".');
    const fixes = lines.filter(l => l.startsWith('FIX: '));
    expect(fixes).toHaveLength(2);
    expect(fixes[0]).toContain('AND BUILD THE DOCS AGAIN');
    expect(fixes[1]).toContain(`HAVE ${OTHER}, ${TILES} SEND`);
    const quiet = blockedSection([], 0, true, 'other', false, 0, trans);
    expect(quiet?.symptoms[0]).toBe(
      `GREY MAP TILES (FOLIUM, IPYLEAFLET): THE TILE SERVER SENDS NO ${policy.headers.resource}.`
    );
    expect(quiet?.fixes[1].text).toMatch(/^HAVE THE RESOURCE'S SITE SEND/);
    for (const msgid of msgids) {
      expect(msgid).toBe(msgid.trim());
      for (const value of [
        OTHER,
        TILES,
        '/pixel.png',
        ...Object.values(policy.headers)
      ]) {
        expect(msgid).not.toContain(value);
      }
    }
  });
});
