/**
 * JupyterLite's kernel client (`IKernelClient`), found by its token's name instead of imported.
 *
 * The token belongs to `@jupyterlite/services`, which every extension on a page shares as one
 * singleton. Importing it would make this extension ship a copy, and module federation then
 * runs the highest version on the page for every extension: our 0.8 in place of the 0.7 that
 * jupyterlab-hybrid-kernels 0.2 is built for, whose in-browser kernels then never connect.
 * Looking the token up takes whichever version the page already runs (0.7 and 0.8 expose the
 * same client), and costs nothing on pages without in-browser kernels.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { IKernelClient } from '@jupyterlite/services';

export const KERNEL_CLIENT_TOKEN = '@jupyterlite/services:IKernelClient';

/** The registry's record of which token each plugin provides (Lumino keeps it private). */
function providedTokens(app: JupyterFrontEnd): Iterable<unknown> {
  const holder =
    (app as unknown as { pluginRegistry?: unknown }).pluginRegistry ?? app;
  const services = (holder as { _services?: unknown })._services;
  return services instanceof Map ? services.keys() : [];
}

/** The token object registered under `name`, if a plugin on the page provides it. */
export function findToken(app: JupyterFrontEnd, name: string): unknown {
  for (const token of providedTokens(app)) {
    if ((token as { name?: unknown } | null)?.name === name) {
      return token;
    }
  }
  return null;
}

/** The page's in-browser kernel client, or null where there are no in-browser kernels. */
export async function findKernelClient(
  app: JupyterFrontEnd
): Promise<IKernelClient | null> {
  const token = findToken(app, KERNEL_CLIENT_TOKEN);
  if (!token) {
    return null;
  }
  try {
    const client = await app.resolveOptionalService(token as never);
    return (client as IKernelClient | null) ?? null;
  } catch {
    return null;
  }
}
