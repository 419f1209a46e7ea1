import policy from '../../src/policy.json';
import {
  diagnose,
  judgeHeader,
  IDiagnosis
} from '../../src/indicator/diagnosis';
import { headerToken } from '../../src/indicator/headers';
import { recordingBundle } from '../bundle';
import { diagnosisTexts, isolatedFacts, notIsolatedFacts, sent } from './facts';

/** Facts of a plain, isolated top-level page served with the default headers. */
const isolated = isolatedFacts;

/** The same page, not isolated; headers as given. */
const notIsolated = notIsolatedFacts;

const ids = (d: IDiagnosis) => d.reasons.map(r => r.id);
const problems = (d: IDiagnosis) =>
  d.reasons.filter(r => r.severity === 'problem').map(r => r.id);
const capability = (d: IDiagnosis, id: string) =>
  d.capabilities.find(c => c.id === id)?.available;

/** What needs shared memory: none of it works in a browser without SharedArrayBuffer. */
const SHARED_MEMORY = [
  'shared-array-buffer',
  'wasm-threads',
  'kernel-interrupt',
  'worker-pool',
  'sync-input'
];
/** What needs an isolated page. */
const NEEDS_ISOLATION = [...SHARED_MEMORY, 'precise-timers'];

describe('policy.json', () => {
  it('has the shape the diagnosis reads', () => {
    expect(policy.headers.opener).toBe('Cross-Origin-Opener-Policy');
    expect(policy.headers.embedder).toBe('Cross-Origin-Embedder-Policy');
    expect(policy.isolating.opener).toContain('same-origin');
    expect(policy.isolating.embedder).toEqual(
      expect.arrayContaining(['require-corp', 'credentialless'])
    );
  });
});

describe('headerToken / judgeHeader', () => {
  it('drops parameters and whitespace, and keeps case as browsers do', () => {
    expect(headerToken(' Require-CORP ; report-to="coep"')).toBe(
      'Require-CORP'
    );
  });

  it('judges each kind of value', () => {
    const facts = (opener: string | null) =>
      notIsolated({ headers: sent(opener, null) });
    expect(judgeHeader('opener', facts('same-origin'))).toBe('isolating');
    expect(judgeHeader('opener', facts('same-origin; report-to="x"'))).toBe(
      'isolating'
    );
    expect(judgeHeader('opener', facts('same-origin-allow-popups'))).toBe(
      'not-isolating'
    );
    expect(judgeHeader('opener', facts('same_origin'))).toBe('invalid');
    // Browsers compare the tokens as they are: Chromium does not isolate with this one.
    expect(judgeHeader('opener', facts('Same-Origin'))).toBe('invalid');
    expect(judgeHeader('opener', facts('same-origin, same-origin'))).toBe(
      'repeated'
    );
    expect(judgeHeader('opener', facts(null))).toBe('missing');
    expect(judgeHeader('opener', facts(''))).toBe('missing');
    expect(judgeHeader('opener', notIsolated({ headers: null }))).toBe(
      'unknown'
    );
  });
});

describe('diagnose: isolated', () => {
  it('reports isolated with everything available and nothing to fix', () => {
    const d = diagnose(isolated());
    expect(d.state).toBe('isolated');
    expect(d.reasons).toEqual([]);
    for (const id of NEEDS_ISOLATION) {
      expect(capability(d, id)).toBe(true);
    }
  });

  it('notes credentialless, which Safari does not support', () => {
    const d = diagnose(
      isolated({
        headers: sent('same-origin', 'credentialless')
      })
    );
    expect(d.state).toBe('isolated');
    expect(ids(d)).toEqual(['credentialless']);
    expect(d.reasons[0].severity).toBe('info');
    expect(d.reasons[0].detail).toContain(
      'Safari does not support credentialless'
    );
  });

  // Where browsers without credentialless get require-corp, the note says so instead of a warning.
  it.each([
    [
      'a static site whose worker gives Safari require-corp',
      { fallbackWorker: true },
      'such as Safari, get require-corp from it after one reload',
      'CrossOriginIsolationAddon.embedder_policy'
    ],
    [
      'a server that gives Safari require-corp (auto)',
      { perBrowser: true },
      'such as Safari, get require-corp',
      'Nothing to do'
    ]
  ])('notes credentialless on %s', (_, fallback, detail, fix) => {
    const d = diagnose(
      isolated({
        headers: sent('same-origin', 'credentialless', 'same-origin', fallback)
      })
    );
    expect(d.state).toBe('isolated');
    expect(ids(d)).toEqual(['credentialless']);
    expect(d.reasons[0].severity).toBe('info');
    expect(d.reasons[0].detail).toContain(detail);
    expect(d.reasons[0].detail).not.toContain('will not isolate');
    expect(d.reasons[0].fix).toContain(fix);
  });

  it('notes when a fresh request returns headers that would not isolate', () => {
    const d = diagnose(isolated({ headers: sent(null, null) }));
    expect(d.state).toBe('isolated');
    expect(ids(d)).toEqual(['headers-differ']);
  });
});

describe('diagnose: isolated in a browser without SharedArrayBuffer', () => {
  // What WebKitGTK 2.50 shows (tests/browser/test_indicator.py reads it in the real browser).
  const webkit = isolated({
    sharedArrayBuffer: false,
    atomicsWaitInWorker: false,
    userAgent:
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15'
  });

  it('stays isolated, says what is missing and that the headers are not the cause', () => {
    const d = diagnose(webkit);
    expect(d.state).toBe('isolated');
    expect(problems(d)).toEqual(['shared-array-buffer-missing']);
    expect(d.summary).toContain('does not provide SharedArrayBuffer');
    expect(d.reasons[0].detail).toContain(
      'nothing on the server can change this'
    );
  });

  it('marks what needs shared memory as unavailable, with the browser as the reason', () => {
    const d = diagnose(webkit);
    for (const id of SHARED_MEMORY) {
      expect(capability(d, id)).toBe(false);
    }
    const sab = d.capabilities.find(c => c.id === 'shared-array-buffer')!;
    expect(sab.detail).toContain('even to an isolated page');
    expect(sab.detail).not.toContain('needs a cross-origin isolated page');
  });

  it('is not raised where SharedArrayBuffer exists', () => {
    expect(ids(diagnose(isolated()))).not.toContain(
      'shared-array-buffer-missing'
    );
  });
});

describe('diagnose: isolated by a service worker', () => {
  it('says the isolation comes from a service worker', () => {
    const d = diagnose(
      isolated({
        serviceWorkerControlled: true,
        navigationViaServiceWorker: true
      })
    );
    expect(d.state).toBe('isolated');
    expect(ids(d)).toContain('service-worker');
    const reason = d.reasons.find(r => r.id === 'service-worker')!;
    expect(reason.severity).toBe('info');
    expect(reason.detail).toMatch(/hard reload/i);
    expect(reason.fix).toContain('Cross-Origin-Opener-Policy: same-origin');
    // A service worker explains the headers, so no "headers differ" note.
    expect(ids(d)).not.toContain('headers-differ');
  });

  it('also counts a navigation delivered by a worker that no longer controls the page', () => {
    const d = diagnose(
      isolated({
        serviceWorkerControlled: false,
        navigationViaServiceWorker: true
      })
    );
    expect(ids(d)).toContain('service-worker');
  });

  it('does not credit a worker that controls the page but did not deliver it', () => {
    // JupyterLite's own service worker, with the headers sent by the host.
    const d = diagnose(
      isolated({
        serviceWorkerControlled: true,
        navigationViaServiceWorker: false
      })
    );
    expect(d.state).toBe('isolated');
    expect(d.reasons).toEqual([]);
  });

  it('credits a controlling worker when the navigation timing is unknown', () => {
    const d = diagnose(
      isolated({
        serviceWorkerControlled: true,
        navigationViaServiceWorker: null
      })
    );
    expect(ids(d)).toEqual(['service-worker']);
  });

  it('explains a controlling service worker that has not isolated the page', () => {
    const d = diagnose(notIsolated({ serviceWorkerControlled: true }));
    expect(d.state).toBe('not-isolated');
    expect(ids(d)).toContain('service-worker-not-isolating');
  });
});

describe('diagnose: not isolated because of headers', () => {
  it('both headers missing', () => {
    const d = diagnose(notIsolated());
    expect(d.state).toBe('not-isolated');
    expect(problems(d)).toEqual(['opener-missing', 'embedder-missing']);
    const opener = d.reasons[0];
    expect(opener.title).toContain('Cross-Origin-Opener-Policy');
    expect(opener.fix).toContain('Cross-Origin-Opener-Policy: same-origin');
    expect(d.reasons[1].fix).toContain(
      'Cross-Origin-Embedder-Policy: require-corp'
    );
  });

  it('only COEP missing', () => {
    const d = diagnose(
      notIsolated({
        headers: sent('same-origin', null)
      })
    );
    expect(problems(d)).toEqual(['embedder-missing']);
  });

  it('a value that is not valid', () => {
    const d = diagnose(
      notIsolated({
        headers: sent('same-origin', 'require_corp')
      })
    );
    expect(problems(d)).toEqual(['embedder-invalid']);
    expect(d.reasons[0].detail).toContain('"require_corp"');
    expect(d.reasons[0].detail).toContain('credentialless');
  });

  it('a valid value that does not isolate', () => {
    const d = diagnose(
      notIsolated({
        headers: sent('same-origin-allow-popups', 'unsafe-none')
      })
    );
    expect(problems(d)).toEqual([
      'opener-not-isolating',
      'embedder-not-isolating'
    ]);
    expect(d.reasons[0].fix).toContain('same-origin-allow-popups');
  });

  it('a header sent twice', () => {
    const d = diagnose(
      notIsolated({
        headers: sent('same-origin, same-origin', 'require-corp')
      })
    );
    expect(problems(d)).toEqual(['opener-repeated']);
  });

  it('headers that could not be read', () => {
    const d = diagnose(notIsolated({ headers: null }));
    expect(ids(d)).toEqual(['headers-unknown']);
    expect(d.reasons[0].severity).toBe('info');
  });

  it('marks what needs isolation as unavailable', () => {
    const d = diagnose(notIsolated());
    for (const id of NEEDS_ISOLATION) {
      expect(capability(d, id)).toBe(false);
    }
    expect(
      d.capabilities.find(c => c.id === 'kernel-interrupt')!.detail
    ).toMatch(/Pyodide/);
    expect(d.capabilities.find(c => c.id === 'worker-pool')!.detail).toMatch(
      /NotIsolatedError/
    );
  });

  it('falls back on isolation when the worker check could not run', () => {
    const d = diagnose(
      isolated({ atomicsWaitInWorker: null, timerResolutionMs: null })
    );
    expect(capability(d, 'sync-input')).toBe(true);
    expect(capability(d, 'precise-timers')).toBeNull();
  });
});

describe('diagnose: not a secure context', () => {
  it('blames the context even when the headers are right', () => {
    const d = diagnose(
      notIsolated({
        secureContext: false,
        headers: sent('same-origin', 'require-corp', 'same-origin')
      })
    );
    expect(problems(d)).toEqual(['insecure-context']);
    expect(d.reasons[0].fix).toMatch(/HTTPS/);
  });

  it('lists header problems too', () => {
    const d = diagnose(notIsolated({ secureContext: false }));
    expect(problems(d)).toEqual([
      'insecure-context',
      'opener-missing',
      'embedder-missing'
    ]);
  });
});

describe('diagnose: in a frame', () => {
  const goodHeaders = sent('same-origin', 'require-corp', 'same-origin');

  it('blames the frame when the headers are right', () => {
    const d = diagnose(
      notIsolated({
        framed: true,
        isolationPermitted: false,
        headers: goodHeaders
      })
    );
    expect(problems(d)).toEqual(['framed']);
    const reason = d.reasons[0];
    expect(reason.detail).toContain('allow="cross-origin-isolated"');
    expect(reason.detail).toMatch(/not delegated/);
    expect(reason.fix).toContain('allow="cross-origin-isolated"');
    expect(ids(d)).not.toContain('unexplained');
  });

  it('is a side note when headers are missing anyway', () => {
    const d = diagnose(notIsolated({ framed: true, isolationPermitted: null }));
    expect(problems(d)).toEqual(['opener-missing', 'embedder-missing']);
    const framed = d.reasons.find(r => r.id === 'framed')!;
    expect(framed.severity).toBe('info');
    expect(framed.detail).not.toMatch(/not delegated/);
  });

  it('a permissions policy that disables isolation at top level', () => {
    const d = diagnose(
      notIsolated({ isolationPermitted: false, headers: goodHeaders })
    );
    expect(problems(d)).toEqual(['permission-denied']);
  });
});

describe('diagnose: COEP credentialless in a browser without support', () => {
  it('blames credentialless support when the headers say credentialless', () => {
    const d = diagnose(
      notIsolated({
        headers: sent('same-origin', 'credentialless')
      })
    );
    expect(d.state).toBe('not-isolated');
    expect(problems(d)).toEqual(['credentialless-unsupported']);
    expect(d.reasons[0].fix).toContain('require-corp');
  });

  it('does not blame credentialless for a framed page', () => {
    const d = diagnose(
      notIsolated({
        framed: true,
        headers: sent('same-origin', 'credentialless')
      })
    );
    expect(problems(d)).toEqual(['framed']);
  });
});

describe('diagnose: headers right but not isolated', () => {
  it('suggests a reload bypassing the cache', () => {
    const d = diagnose(
      notIsolated({
        headers: sent('same-origin', 'require-corp')
      })
    );
    expect(problems(d)).toEqual(['unexplained']);
    expect(d.reasons[0].fix).toMatch(/Shift\+Reload/);
  });
});

describe('diagnose: through a translation bundle', () => {
  it('translates whole sentences, with values only in their slots', () => {
    const opener = 'same-origin-allow-popups; report-to="coop"';
    const { trans, msgids } = recordingBundle();
    const found = [
      ...diagnosisTexts(
        diagnose(
          notIsolated({
            framed: true,
            isolationPermitted: false,
            headers: sent(opener, 'Require-CORP')
          }),
          { deployment: 'lite', inBrowserKernels: ['Python (Pyodide)'] },
          trans
        )
      ),
      ...diagnosisTexts(
        diagnose(
          isolated({
            headers: sent('same-origin', 'credentialless', null, {
              fallbackWorker: true
            })
          }),
          { deployment: 'sphinx', inBrowserKernels: null },
          trans
        )
      )
    ];
    // Each text is the bundle's: no English of the sources is left.
    for (const text of found) {
      expect(text).not.toMatch(/ [a-z]{3,} [a-z]{3,} /);
    }
    const all = found.join('\n');
    expect(all).toContain(
      `THE PAGE WAS SERVED WITH ${policy.headers.opener}: "${opener}".`
    );
    expect(all).toContain('(HERE: Python (Pyodide))');
    expect(all).toContain('THE PERMISSION IS NOT DELEGATED TO THIS FRAME.');
    expect(all).toContain(
      'SET jupyter_coi_embedder_policy = "require-corp" IN THE SPHINX PROJECT\'S conf.py ' +
        'AND BUILD THE DOCS AGAIN.'
    );
    // Values are never messages, and no message is a piece of a sentence.
    for (const msgid of msgids) {
      expect(msgid).toBe(msgid.trim());
      for (const value of [
        opener,
        'Require-CORP',
        'Python (Pyodide)',
        ...Object.values(policy.headers)
      ]) {
        expect(msgid).not.toContain(value);
      }
    }
  });
});
