/**
 * Which worker channel the page's Pyodide kernel uses, so that the workarounds in
 * `coincident.ts` are applied only where that channel has the races they work around.
 *
 * jupyterlite-pyodide-kernel 0.7 and 0.8 talk to the kernel's worker through coincident 1.x
 * (with `Atomics.waitAsync` on the page, and the message format `CHANNEL` names); 0.9 moves to
 * coincident 4, which uses neither. Patching `Atomics.waitAsync` for the whole page where no
 * kernel needs it would change it for every other script for nothing.
 */

/** The labextension of jupyterlite-pyodide-kernel, whose version names its channel. */
export const KERNEL_EXTENSION = '@jupyterlite/pyodide-kernel-extension';

/** The first kernel extension release whose channel has neither race (coincident 4). */
export const FIXED_IN = [0, 9, 0];

export type ChannelVerdict = {
  /** Whether to apply the coincident 1.x workarounds. */
  workaround: boolean;
  /** What the console says about it, once. */
  message: string;
};

/**
 * The verdict for a kernel extension `version` (null: it could not be read). Pre-releases of
 * 0.9 count as 0.9: the channel moved in its first alpha. Unknown versions keep the
 * workarounds, which harm no request of coincident 1.x and are inert for other channels'
 * messages.
 */
export function channelVerdict(version: string | null): ChannelVerdict {
  const release = version?.match(/^(\d+)\.(\d+)\.(\d+)/);
  if (!release) {
    return {
      workaround: true,
      message:
        `jupyter-coi | kernel channel: the version of ${KERNEL_EXTENSION} could not be ` +
        'read; applying the workarounds for coincident 1.x (Atomics.waitAsync settled, ' +
        'answers to the worker written whole)'
    };
  }
  const parts = release.slice(1).map(Number);
  const fixed = compare(parts, FIXED_IN) >= 0;
  return fixed
    ? {
        workaround: false,
        message:
          `jupyter-coi | kernel channel: ${KERNEL_EXTENSION} ${version} needs no ` +
          'workaround (its channel is not coincident 1.x)'
      }
    : {
        workaround: true,
        message:
          `jupyter-coi | kernel channel: ${KERNEL_EXTENSION} ${version} talks to its ` +
          'worker through coincident 1.x; working around its two races (Atomics.waitAsync ' +
          'settled, answers to the worker written whole)'
      };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < b.length; i++) {
    if (a[i] !== b[i]) {
      return a[i] - b[i];
    }
  }
  return 0;
}

/**
 * The kernel extension's version, from its `package.json` beside the files the page loads it
 * from (JupyterLab's and JupyterLite's `fullLabextensionsUrl`, relative to the page as the
 * page's own loader takes it); null if there is none to read.
 */
export async function kernelExtensionVersion(
  labextensionsUrl: string,
  fetcher: typeof fetch = fetch
): Promise<string | null> {
  if (!labextensionsUrl) {
    return null;
  }
  const base = labextensionsUrl.endsWith('/')
    ? labextensionsUrl
    : `${labextensionsUrl}/`;
  try {
    const response = await fetcher(`${base}${KERNEL_EXTENSION}/package.json`, {
      cache: 'no-cache'
    });
    if (!response.ok) {
      return null;
    }
    const version = (await response.json())?.version;
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}
