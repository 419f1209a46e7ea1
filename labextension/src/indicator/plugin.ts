/**
 * The indicator's plugin: shows whether the page is cross-origin isolated, and explains it.
 *
 * Works in JupyterLab (status bar), Notebook 7 and JupyterLite (top area when
 * there is no status bar), with or without a server. Every token is optional.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { IStatusBar } from '@jupyterlab/statusbar';
import { ISignal, Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';
import { CommandIDs } from '../commands';
import { resolveByName } from '../tokens';
import { TRANSLATION_DOMAIN } from '../translation';
// Loaded with the plugin, as activation uses them: the watch for blocked loads starts before
// anything awaits, and the indicator shows its first state at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { Deployment, blockedView, watchBlockedLoads } from './blocked';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { diagnose, quickState } from './diagnosis';
import type { IFacts } from './facts';
import { BUILT_BY_KEY, REPORTS_PAGE_CONFIG } from './page';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { IsolationIndicator } from './widget';

export const PLUGIN_ID = 'jupyter-coi:plugin';

/** Looked up by name: Voila's pages do not share `@jupyterlab/statusbar` (see tokens.ts). */
const STATUS_BAR_TOKEN = '@jupyterlab/statusbar:IStatusBar';

/** Rank in the top area: after the Notebook 7 top bar toolbar (900). */
const TOP_RANK = 1000;
/** Rank in the status bar's left side, after the built-in items. */
const STATUSBAR_RANK = 1000;

/**
 * Where to read the page's headers again. Its own URL, except on Voila, where requesting the
 * page renders the notebook again and starts a kernel that lives until Voila exits: there, a
 * static file of this extension, which the same server sends with the same headers.
 */
function headersUrl(): string | undefined {
  if (PageConfig.getOption('appUrl') !== 'voila/') {
    return undefined;
  }
  const extensions = PageConfig.getOption('fullLabextensionsUrl');
  return extensions
    ? URLExt.join(extensions, 'jupyter-coi', 'package.json')
    : undefined;
}

/**
 * Where the page's headers come from, so that the dialog names the setting that changes them:
 * a server with jupyter-coi says where its report endpoint is (its page config, which is also
 * how the dialog knows to ask for reports); a JupyterLite site names itself in its config, and
 * the Sphinx extension marks the sites it isolates there too.
 */
function deployment(): Deployment {
  if (PageConfig.getOption(REPORTS_PAGE_CONFIG)) {
    return 'server';
  }
  if (PageConfig.getOption(BUILT_BY_KEY) === 'sphinx') {
    return 'sphinx';
  }
  return PageConfig.getOption('appName') === 'JupyterLite' ? 'lite' : 'other';
}

/** JupyterLite's registry of in-browser kernel specs, found by its token's name (tokens.ts). */
const KERNEL_SPECS_TOKEN = '@jupyterlite/services:IKernelSpecs';

interface IInBrowserSpecs {
  specs: {
    kernelspecs: Record<
      string,
      { display_name?: string; language?: string } | undefined
    >;
  } | null;
}

/**
 * The in-browser Python kernels the page can start, by display name: none on a page without
 * JupyterLite's kernel registry (its kernels, if any, run on a server).
 */
async function inBrowserKernels(
  app: JupyterFrontEnd
): Promise<string[] | null> {
  const registry = await resolveByName<IInBrowserSpecs>(
    app,
    KERNEL_SPECS_TOKEN
  );
  if (!registry) {
    return [];
  }
  if (!registry.specs) {
    return null;
  }
  return Object.entries(registry.specs.kernelspecs)
    .filter(([, spec]) => spec?.language?.toLowerCase() === 'python')
    .map(([name, spec]) => spec?.display_name ?? name);
}

/** Probe once per page: isolation cannot change without a reload. */
function factsOnce(): () => Promise<IFacts> {
  let pending: Promise<IFacts> | null = null;
  return () =>
    (pending =
      pending ??
      import('./probe').then(({ probe }) => probe(window, headersUrl())));
}

/**
 * Put the indicator in the status bar, or else in the top area. Returns the
 * function that shows or hides it: the status bar decides visibility itself
 * (through `isActive`), so hiding the widget directly would not stick there.
 */
function placeIndicator(
  app: JupyterFrontEnd,
  indicator: IsolationIndicator,
  statusBar: IStatusBar | null
): (show: boolean) => void {
  try {
    if (statusBar) {
      let active = true;
      const activeStateChanged = new Signal<IsolationIndicator, void>(
        indicator
      );
      statusBar.registerStatusItem('jupyter-coi:indicator', {
        item: indicator,
        align: 'left',
        rank: STATUSBAR_RANK,
        isActive: () => active,
        activeStateChanged
      });
      return show => {
        active = show;
        activeStateChanged.emit();
      };
    }
    app.shell.add(indicator, 'top', { rank: TOP_RANK });
  } catch {
    // A shell without a top area: the console's toolbar below, or the command alone.
  }
  if (!indicator.parent) {
    // JupyterLite's REPL app has neither a status bar nor a top area it shows: the console's
    // own toolbar (shown with the REPL's `toolbar=1`) is the place a person looks.
    void placeInConsoleToolbar(app, indicator);
  }
  return show => indicator.setHidden(!show);
}

/** Looked up by name, as the status bar is: most pages with the indicator have no console. */
const CONSOLE_TRACKER_TOKEN = '@jupyterlab/console:IConsoleTracker';

interface IConsoleToolbars {
  currentWidget: { toolbar?: IToolbar } | null;
  widgetAdded: ISignal<unknown, { toolbar?: IToolbar }>;
}

interface IToolbar {
  insertBefore(at: string, name: string, widget: Widget): boolean;
  addItem(name: string, widget: Widget): boolean;
}

/** Put the indicator in the toolbar of the page's first console, before its kernel's name. */
async function placeInConsoleToolbar(
  app: JupyterFrontEnd,
  indicator: IsolationIndicator
): Promise<void> {
  const tracker = await resolveByName<IConsoleToolbars>(
    app,
    CONSOLE_TRACKER_TOKEN
  );
  if (!tracker) {
    return;
  }
  const place = (panel: { toolbar?: IToolbar } | null): boolean => {
    const toolbar = panel?.toolbar;
    if (!toolbar || indicator.parent) {
      return !!indicator.parent;
    }
    return (
      toolbar.insertBefore('kernelName', INDICATOR_ITEM, indicator) ||
      toolbar.addItem(INDICATOR_ITEM, indicator)
    );
  };
  if (place(tracker.currentWidget)) {
    return;
  }
  const added = (_: unknown, panel: { toolbar?: IToolbar }) => {
    if (place(panel)) {
      tracker.widgetAdded.disconnect(added);
    }
  };
  tracker.widgetAdded.connect(added);
}

const INDICATOR_ITEM = 'jupyter-coi-indicator';

function watchSettings(
  app: JupyterFrontEnd,
  registry: ISettingRegistry | null,
  apply: (showIndicator: boolean) => void
): void {
  if (!registry) {
    return;
  }
  const read = (settings: ISettingRegistry.ISettings) =>
    apply(settings.get('showIndicator').composite !== false);
  Promise.all([registry.load(PLUGIN_ID), app.restored])
    .then(([settings]) => {
      read(settings);
      settings.changed.connect(read);
    })
    .catch(() => {
      // No schema available (e.g. a trimmed JupyterLite build): keep the defaults.
    });
}

export const indicatorPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Shows whether the page is cross-origin isolated, and why.',
  autoStart: true,
  optional: [ICommandPalette, ISettingRegistry, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): Promise<void> => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    // First, before anything awaits: loads that fail from now on are heard.
    const blockedLoads = watchBlockedLoads(window);
    const statusBar = await resolveByName<IStatusBar>(app, STATUS_BAR_TOKEN);
    const getFacts = factsOnce();
    let dialogOpen = false;

    app.commands.addCommand(CommandIDs.showDetails, {
      label: trans.__('Cross-Origin Isolation Details'),
      caption: trans.__(
        'Show whether this page is cross-origin isolated, and why'
      ),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        if (dialogOpen) {
          return;
        }
        dialogOpen = true;
        try {
          // Reports change while the page lives, so they are asked for each time; the
          // request is bounded and gives null without a server, so the dialog always opens.
          // Only where the server says where its endpoint is (its page config): elsewhere
          // (JupyterLite, a server without jupyter-coi) the request would only log a 404.
          const settings = app.serviceManager?.serverSettings;
          const path = PageConfig.getOption(REPORTS_PAGE_CONFIG);
          const [facts, reports, kernels] = await Promise.all([
            getFacts(),
            settings && path
              ? import('./reports').then(({ fetchReports }) =>
                  fetchReports(settings, path)
                )
              : Promise.resolve(null),
            inBrowserKernels(app),
            blockedLoads.scan(document)
          ]);
          const page = { deployment: deployment(), inBrowserKernels: kernels };
          const blocked = blockedView(
            blockedLoads,
            reports,
            facts,
            page.deployment,
            trans
          );
          const { showDetails } = await import('./dialog');
          await showDetails(
            facts,
            diagnose(facts, page, trans),
            blocked.reports,
            blocked.section,
            trans
          );
        } finally {
          dialogOpen = false;
        }
      }
    });
    palette?.addItem({
      command: CommandIDs.showDetails,
      category: trans.__('Help')
    });

    const indicator = new IsolationIndicator({
      state: quickState(window.crossOriginIsolated === true),
      placement: statusBar ? 'statusbar' : 'top',
      trans,
      onActivate: () => {
        void app.commands.execute(CommandIDs.showDetails);
      }
    });
    const setVisible = placeIndicator(app, indicator, statusBar);
    watchSettings(app, settingRegistry, setVisible);

    // Probe in the background once the app is up, so the dialog opens at once.
    void app.restored
      .then(getFacts)
      .then(facts => {
        indicator.setState(diagnose(facts).state);
        indicator.setReady();
      })
      .catch(() => undefined);
  }
};
