/**
 * The worker pool's settings, for the page's half of every Pyodide kernel's pool
 * (`host.ts`, which the kernels' plugin starts with each kernel).
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { applyPoolSettings, IPoolSettings, poolSettingsDone } from './settings';

export const POOL_PLUGIN_ID = 'jupyter-coi:pool';

export const poolPlugin: JupyterFrontEndPlugin<void> = {
  id: POOL_PLUGIN_ID,
  description:
    'Settings of the worker pool of Pyodide kernels: how long idle workers wait for the next pool, and how many each kernel starts with.',
  autoStart: true,
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, registry: ISettingRegistry | null): void => {
    if (!registry) {
      poolSettingsDone();
      return;
    }
    const read = (settings: ISettingRegistry.ISettings) =>
      applyPoolSettings(settings.composite as Partial<IPoolSettings>);
    registry
      .load(POOL_PLUGIN_ID)
      .then(settings => {
        read(settings);
        settings.changed.connect(read);
      })
      .catch(() => {
        // No schema available (a trimmed JupyterLite build): keep the defaults.
      })
      .finally(poolSettingsDone);
  }
};
