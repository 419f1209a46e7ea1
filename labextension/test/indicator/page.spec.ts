/**
 * The dialog is right for its page: what it says of in-browser kernels follows the kernels the
 * page can start, its advice follows the policy this browser would get, and it names only the
 * settings of the tool that made the page's headers.
 */
import { blockedFixes } from '../../src/indicator/blocked';
import { diagnose, IDiagnosis } from '../../src/indicator/diagnosis';
import { IFacts } from '../../src/indicator/facts';
import { STATE_DESCRIPTION } from '../../src/indicator/labels';
import { Deployment, EMBEDDER_SETTINGS, IPage } from '../../src/indicator/page';
import { diagnosisTexts, isolatedFacts, notIsolatedFacts } from './facts';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';

const PYODIDE: IPage = {
  deployment: 'lite',
  inBrowserKernels: ['Python (Pyodide)']
};
const SERVER_ONLY: IPage = { deployment: 'server', inBrowserKernels: [] };

const notIsolated = (overrides: Partial<IFacts> = {}): IFacts =>
  notIsolatedFacts({ userAgent: CHROME, ...overrides });

const capabilityIds = (d: IDiagnosis) => d.capabilities.map(c => c.id);
/** The capabilities around what in-browser kernels gain, which every page lists. */
const around = (...middle: string[]) => [
  'shared-array-buffer',
  'wasm-threads',
  ...middle,
  'precise-timers'
];
const text = (d: IDiagnosis) => diagnosisTexts(d).join('\n');
const fixOf = (d: IDiagnosis, id: string) =>
  d.reasons.find(r => r.id === id)?.fix ?? '';
/** Every tool's setting names but `deployment`'s. */
const othersSettings = (deployment: Deployment) =>
  Object.entries(EMBEDDER_SETTINGS)
    .filter(([name]) => name !== deployment)
    .map(([, place]) =>
      place.name.replace(/_embedder_policy|\.embedder_policy/, '')
    );

describe('in-browser kernels', () => {
  it('a lab whose kernels all run on the server claims nothing of Pyodide', () => {
    for (const facts of [isolatedFacts(), notIsolated()]) {
      const d = diagnose(facts, SERVER_ONLY);
      expect(capabilityIds(d)).toEqual(around('in-browser-kernels'));
      const line = d.capabilities.find(c => c.id === 'in-browser-kernels')!;
      expect(line.available).toBe('not-here');
      expect(line.detail).toContain('run on the Jupyter server');
      expect(line.label).toBe('In-browser Python kernels');
      expect(d.summary).toContain('No kernel here runs in the browser');
      expect(d.summary).not.toMatch(/can be interrupted|cannot be interrupted/);
    }
  });

  it('a JupyterLite site with Pyodide lists what its kernels gain, by name', () => {
    const d = diagnose(isolatedFacts(), PYODIDE);
    expect(capabilityIds(d)).toEqual(
      around('kernel-interrupt', 'worker-pool', 'sync-input')
    );
    const interrupt = d.capabilities.find(c => c.id === 'kernel-interrupt')!;
    expect(interrupt.label).toContain('(here: Python (Pyodide))');
    expect(interrupt.available).toBe(true);
    expect(d.summary).toContain('in-browser Python kernels can be interrupted');
  });

  it('a JupyterLite site with only a JavaScript kernel says none applies to it', () => {
    const d = diagnose(notIsolated(), {
      deployment: 'lite',
      inBrowserKernels: []
    });
    const line = d.capabilities.find(c => c.id === 'in-browser-kernels')!;
    expect(line.detail).toContain('this site has none');
    expect(line.detail).not.toContain('server');
  });

  it('kernels not known yet: the kernel capabilities, without names', () => {
    const d = diagnose(isolatedFacts(), {
      deployment: 'lite',
      inBrowserKernels: null
    });
    expect(capabilityIds(d)).toContain('kernel-interrupt');
    expect(
      d.capabilities.find(c => c.id === 'kernel-interrupt')!.label
    ).not.toContain('here:');
  });
});

describe('the sentence under the heading', () => {
  it('never repeats the heading', () => {
    const pages: IPage[] = [
      PYODIDE,
      SERVER_ONLY,
      { deployment: 'other', inBrowserKernels: null }
    ];
    const facts = [
      isolatedFacts(),
      notIsolated(),
      isolatedFacts({ sharedArrayBuffer: false })
    ];
    for (const page of pages) {
      for (const f of facts) {
        const d = diagnose(f, page);
        expect(d.summary).not.toContain(STATE_DESCRIPTION[d.state]);
        expect(d.summary).not.toContain('cross-origin isolated');
      }
    }
  });
});

describe('advice that matches the policy this browser would get', () => {
  it('advises credentialless to a browser that has it, require-corp to one without', () => {
    const chrome = fixOf(
      diagnose(notIsolated(), SERVER_ONLY),
      'embedder-missing'
    );
    expect(chrome).toContain('"Cross-Origin-Embedder-Policy: credentialless"');
    expect(chrome).not.toContain('require-corp');
    const safari = fixOf(
      diagnose(notIsolated({ userAgent: SAFARI }), SERVER_ONLY),
      'embedder-missing'
    );
    expect(safari).toContain('"Cross-Origin-Embedder-Policy: require-corp"');
  });

  it('a page isolated by its service worker is told the values in force', () => {
    const d = diagnose(
      isolatedFacts({
        serviceWorkerControlled: true,
        navigationViaServiceWorker: true,
        userAgent: CHROME,
        headers: {
          opener: 'same-origin',
          embedder: 'credentialless',
          resource: 'same-origin',
          fallbackWorker: true
        }
      }),
      PYODIDE
    );
    expect(fixOf(d, 'service-worker')).toContain(
      '"Cross-Origin-Embedder-Policy: credentialless"'
    );
    expect(fixOf(d, 'service-worker')).not.toContain('require-corp');
    // The one mention of require-corp left is the credentialless note's, for cookies.
    expect(text(d).split('require-corp"').length).toBe(2);
  });
});

describe("only the settings of the tool that made the page's headers", () => {
  const missing = (deployment: Deployment, fallbackWorker = true) =>
    fixOf(
      diagnose(
        notIsolated({
          headers: {
            opener: null,
            embedder: null,
            resource: null,
            fallbackWorker
          }
        }),
        { deployment, inBrowserKernels: [] }
      ),
      'embedder-missing'
    );

  it('a server with jupyter-coi: its own settings and the check command', () => {
    const fix = missing('server', false);
    expect(fix).toContain('c.CrossOriginIsolation.enabled');
    expect(fix).toContain('jupyter coi check');
    for (const other of othersSettings('server')) {
      expect(fix).not.toContain(other);
    }
  });

  it("a JupyterLite site built with jupyter-coi: the addon's settings and its worker", () => {
    const fix = missing('lite');
    expect(fix).toContain('CrossOriginIsolationAddon.host_files');
    expect(fix).toContain('service worker');
    for (const other of othersSettings('lite')) {
      expect(fix).not.toContain(other);
    }
  });

  it('a JupyterLite site built without jupyter-coi: build it with jupyter-coi', () => {
    expect(missing('lite', false)).toContain(
      'build the site with jupyter-coi installed'
    );
  });

  it("a Sphinx project's site: conf.py's settings, never the addon's", () => {
    const fix = missing('sphinx');
    expect(fix).toContain('jupyter_coi_host_files');
    for (const other of othersSettings('sphinx')) {
      expect(fix).not.toContain(other);
    }
    const note = diagnose(
      isolatedFacts({
        headers: {
          opener: 'same-origin',
          embedder: 'credentialless',
          resource: 'same-origin',
          fallbackWorker: true
        }
      }),
      { deployment: 'sphinx', inBrowserKernels: null }
    ).reasons.find(r => r.id === 'credentialless')!;
    expect(note.fix).toContain(
      'jupyter_coi_embedder_policy = "require-corp" in the Sphinx project\'s conf.py'
    );
    expect(note.fix).not.toContain('CrossOriginIsolationAddon');
    expect(note.fix).not.toContain('for a Sphinx site');
  });

  it("the blocked loads' fix on a Sphinx site names conf.py", () => {
    const [fix] = blockedFixes('sphinx', true);
    expect(fix.id).toBe('sphinx-embedder-policy');
    expect(fix.text).toContain(
      'jupyter_coi_embedder_policy = "credentialless" in the Sphinx project\'s conf.py'
    );
    expect(fix.text).toContain('build the docs again');
    expect(fix.text).not.toContain('CrossOriginIsolationAddon');
  });
});
