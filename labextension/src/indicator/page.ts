/**
 * What the app knows of its page beside what the browser says: which tool's settings make the
 * page's headers, and which in-browser Python kernels it can start. The dialog names only that
 * tool's settings, and speaks of what in-browser kernels gain only where the page has some.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import policy from '../policy.json';
import { untranslated } from '../translation';

/**
 * Where the page's headers come from: a Jupyter server with jupyter-coi, a JupyterLite site
 * built with its addon, the JupyterLite site of a Sphinx project built with its extension, or
 * somewhere that does not say.
 */
export type Deployment = 'server' | 'lite' | 'sphinx' | 'other';

export interface IPage {
  deployment: Deployment;
  /**
   * The in-browser Python kernels the page can start, by display name: empty where it has
   * none (every kernel runs on a server), null where that is not known.
   */
  inBrowserKernels: string[] | null;
}

/** A page that says nothing of itself. */
export const UNKNOWN_PAGE: IPage = {
  deployment: 'other',
  inBrowserKernels: null
};

/**
 * The key of the page config (`jupyter-config-data`) by which a JupyterLite site that the
 * Sphinx extension isolated says so (`BUILT_BY_KEY` in jupyter_coi/static/htmlsite.py, which a
 * unit test compares).
 */
export const BUILT_BY_KEY = 'jupyterCoiBuiltBy';

/** The page config option by which the server extension says where its endpoint is, relative
 * to the server's base URL; absent where there is none. */
export const REPORTS_PAGE_CONFIG = 'jupyterCoiReports';

/** A tool that makes a page's headers, and has a setting for them. */
export type SettingTool = Exclude<Deployment, 'other'>;

/** The COEP setting of each tool that makes a page's headers, as a person writes it. */
export interface ISettingPlace {
  /** The setting's name where it is written. */
  name: string;
  /** The file it is written in. */
  file: string;
  /** Its default. */
  fallback: string;
}

/** Each tool's COEP setting. */
export const EMBEDDER_SETTINGS: Record<SettingTool, ISettingPlace> = {
  server: {
    name: 'c.CrossOriginIsolation.embedder_policy',
    file: 'jupyter_server_config.py',
    fallback: policy.settingDefaults.embedder
  },
  lite: {
    name: 'CrossOriginIsolationAddon.embedder_policy',
    file: 'jupyter_lite_config.json',
    fallback: policy.settingDefaults.embedder
  },
  sphinx: {
    name: 'jupyter_coi_embedder_policy',
    file: 'conf.py',
    fallback: policy.settingDefaults.embedder
  }
};

/**
 * `name = "value" in file`, as a person would write it there. The Sphinx project's file is
 * named by whose it is, which a translation words with the preposition as a whole.
 */
export function settingLine(
  tool: SettingTool,
  value: string,
  trans: TranslationBundle = untranslated
): string {
  const { name, file } = EMBEDDER_SETTINGS[tool];
  return tool === 'sphinx'
    ? trans.__('%1 = "%2" in the Sphinx project\'s %3', name, value, file)
    : trans.__('%1 = "%2" in %3', name, value, file);
}
