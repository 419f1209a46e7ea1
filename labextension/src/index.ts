/**
 * jupyter-coi: shows whether the page is cross-origin isolated, and explains it
 * (`indicator/`); lets the interrupt button stop running code in Pyodide kernels
 * (`interrupt/`).
 */
import { indicatorPlugin } from './indicator/plugin';
import { interruptPlugin } from './interrupt/plugin';

export { CommandIDs } from './commands';
export { PLUGIN_ID } from './indicator/plugin';
export { INTERRUPT_PLUGIN_ID } from './interrupt/plugin';

export default [indicatorPlugin, interruptPlugin];
