/**
 * Facts of a plain, isolated top-level page served with the default headers, for the tests of
 * what the indicator makes of them; each test overrides what it is about.
 */
import type { IDiagnosis } from '../../src/indicator/diagnosis';
import { IFacts, IHeaderValues } from '../../src/indicator/facts';

export function isolatedFacts(overrides: Partial<IFacts> = {}): IFacts {
  return {
    crossOriginIsolated: true,
    secureContext: true,
    sharedArrayBuffer: true,
    wasmSharedMemory: true,
    atomicsWaitInWorker: true,
    timerResolutionMs: 0.005,
    serviceWorkerControlled: false,
    navigationViaServiceWorker: false,
    framed: false,
    isolationPermitted: true,
    headers: sent('same-origin', 'require-corp', 'same-origin'),
    userAgent: 'test',
    ...overrides
  };
}

/** The same page, not isolated, served without the isolation headers; each test overrides
 * what it is about. */
export function notIsolatedFacts(overrides: Partial<IFacts> = {}): IFacts {
  return isolatedFacts({
    crossOriginIsolated: false,
    sharedArrayBuffer: false,
    wasmSharedMemory: false,
    atomicsWaitInWorker: false,
    timerResolutionMs: 0.1,
    headers: sent(null, null),
    ...overrides
  });
}

/** The isolation headers as a server sent them (`null`: not sent), with what else the test is
 * about. */
export function sent(
  opener: string | null,
  embedder: string | null,
  resource: string | null = null,
  more: Partial<IHeaderValues> = {}
): IHeaderValues {
  return { opener, embedder, resource, ...more };
}

/** Every text of a diagnosis, in the order the dialog shows them. */
export function diagnosisTexts(d: IDiagnosis): string[] {
  const found = [d.summary];
  for (const r of d.reasons) {
    found.push(r.title, r.detail, r.fix);
  }
  for (const c of d.capabilities) {
    found.push(c.label, c.detail);
  }
  return found;
}
