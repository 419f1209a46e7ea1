/**
 * The in-browser kernels' plugin: JupyterLite's kernel client, the workarounds for its worker
 * channel, and the set-up of each Pyodide kernel, whose users are interrupts and the pool.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { TRANSLATION_DOMAIN } from '../translation';
import { CommandIDs } from '../commands';
import { channelVerdict, kernelExtensionVersion } from './channel';
import { answerWhole, settleWaitAsync } from './coincident';
// Loaded with the plugin: each Pyodide kernel is set up before it handles its first message,
// which a module still loading when the first cell runs would miss.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { KernelSetup } from '../kernel/setup';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { kernelPools } from '../pool/host';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { PyodideInterrupts } from './controller';
import { findKernelClient } from './kernelclient';

export const INTERRUPT_PLUGIN_ID = 'jupyter-coi:pyodide-interrupt';

/**
 * Interrupts that stop running code in in-browser Pyodide kernels. Only where JupyterLite's
 * kernel client is present (JupyterLite, or in-browser kernels inside JupyterLab); elsewhere
 * it does nothing.
 */
export const interruptPlugin: JupyterFrontEndPlugin<void> = {
  id: INTERRUPT_PLUGIN_ID,
  description:
    'Lets the interrupt button stop running code in Pyodide kernels on isolated pages.',
  autoStart: true,
  optional: [ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    translator: ITranslator | null
  ): Promise<void> => {
    const client = await findKernelClient(app);
    if (!client) {
      return;
    }
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    // Before the channel check, which fetches: a kernel started meanwhile would miss its
    // set-up.
    const interrupts = new PyodideInterrupts({
      client,
      trans,
      tell: message =>
        Notification.warning(message, {
          autoClose: 10_000,
          actions: [
            {
              label: trans.__('Details'),
              caption: trans.__(
                'What cross-origin isolation changes on this page'
              ),
              callback: () => void app.commands.execute(CommandIDs.showDetails)
            }
          ]
        })
    });
    new KernelSetup({
      client,
      languageOf: name =>
        app.serviceManager.kernelspecs.specs?.kernelspecs[name]?.language,
      users: [interrupts, kernelPools]
    });
    if (window.crossOriginIsolated) {
      // Before activation ends: the kernel module, which captures Atomics.waitAsync as it
      // loads, loads with the first kernel, after the app has started.
      const verdict = channelVerdict(
        await kernelExtensionVersion(
          PageConfig.getOption('fullLabextensionsUrl')
        )
      );
      console.info(verdict.message);
      if (verdict.workaround) {
        settleWaitAsync();
        answerWhole();
      }
    }
  }
};
