/**
 * jupyter-coi: shows whether the page is cross-origin isolated, and explains it
 * (`indicator/`); lets the interrupt button stop running code in Pyodide kernels
 * (`interrupt/`); serves their worker pools (`pool/`).
 */
import { indicatorPlugin } from './indicator/plugin';
import { interruptPlugin } from './interrupt/plugin';
import { poolPlugin } from './pool/plugin';

export { CommandIDs } from './commands';
export { PLUGIN_ID } from './indicator/plugin';
export { INTERRUPT_PLUGIN_ID } from './interrupt/plugin';
export { POOL_PLUGIN_ID } from './pool/plugin';

export default [indicatorPlugin, interruptPlugin, poolPlugin];
