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
import { resolveByName } from '../tokens';

export const KERNEL_CLIENT_TOKEN = '@jupyterlite/services:IKernelClient';

/** The page's in-browser kernel client, or null where there are no in-browser kernels. */
export function findKernelClient(
  app: JupyterFrontEnd
): Promise<IKernelClient | null> {
  return resolveByName<IKernelClient>(app, KERNEL_CLIENT_TOKEN);
}
