import { PluginRegistry, Token } from '@lumino/coreutils';
import {
  KERNEL_CLIENT_TOKEN,
  findKernelClient
} from '../../src/interrupt/kernelclient';
import { findToken } from '../../src/tokens';

/** An application as Lumino makes it: plugins in a registry that resolves tokens. */
function appWith(
  plugins: { id: string; provides?: Token<unknown>; activate: () => unknown }[]
) {
  const registry = new PluginRegistry();
  const app = {
    pluginRegistry: registry,
    resolveOptionalService: (token: Token<unknown>) =>
      registry.resolveOptionalService(token)
  };
  registry.application = app;
  registry.registerPlugins(plugins.map(p => ({ autoStart: true, ...p })));
  return app as any;
}

describe('findKernelClient', () => {
  it('finds the client under the token of whichever @jupyterlite/services the page runs', async () => {
    // A token object of its own, as another copy of the package would make.
    const token = new Token<object>(KERNEL_CLIENT_TOKEN);
    const client = { changed: 'signal' };
    const app = appWith([
      {
        id: 'other:thing',
        provides: new Token('other:IThing'),
        activate: () => ({})
      },
      { id: 'lite:kernel-client', provides: token, activate: () => client }
    ]);
    expect(findToken(app, KERNEL_CLIENT_TOKEN)).toBe(token);
    await expect(findKernelClient(app)).resolves.toBe(client);
  });

  it('is null where no plugin provides it, as in plain JupyterLab', async () => {
    const app = appWith([
      {
        id: 'other:thing',
        provides: new Token('other:IThing'),
        activate: () => ({})
      }
    ]);
    expect(findToken(app, KERNEL_CLIENT_TOKEN)).toBeNull();
    await expect(findKernelClient(app)).resolves.toBeNull();
  });

  it('is null when the provider fails to start, and the page goes on', async () => {
    const app = appWith([
      {
        id: 'lite:kernel-client',
        provides: new Token(KERNEL_CLIENT_TOKEN),
        activate: () => {
          throw new Error('no worker support');
        }
      }
    ]);
    await expect(findKernelClient(app)).resolves.toBeNull();
  });
});
