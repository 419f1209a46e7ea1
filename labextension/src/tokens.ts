/**
 * Services found by their token's name instead of by an imported token.
 *
 * Importing a token makes this extension depend on its package at run time, and module
 * federation must then find that package in the page's shared scope (or ship a copy of it).
 * Some pages do not share the package at all: Voila shares no `@jupyterlab/statusbar`, and
 * importing it there stops the whole extension from loading. Others run another version than
 * ours, which a copy of our own would replace for every extension on the page. Looking the
 * token up by name takes whatever the page runs, and costs nothing where it runs none.
 *
 * The lookup reads the plugin registry's private map of provided tokens: Lumino 2's
 * `Application` and `PluginRegistry` resolve a service only for the token object itself (tokens
 * compare by identity), and list no provided tokens; JupyterLab's `IInfo.availablePlugins` has
 * them only from 4.1, and Voila's and Voici's apps do not provide it.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';

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

/** The service provided under the token named `name`, or null where no plugin provides it. */
export async function resolveByName<T>(
  app: JupyterFrontEnd,
  name: string
): Promise<T | null> {
  const token = findToken(app, name);
  if (!token) {
    return null;
  }
  try {
    const service = await app.resolveOptionalService(token as never);
    return (service as T | null) ?? null;
  } catch {
    return null;
  }
}
