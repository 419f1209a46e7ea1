/**
 * The pool's settings (`schema/pool.json`), read by the page's half of every kernel's pool.
 * The pool plugin keeps them current; until it has read them, they are the schema's defaults.
 */
export interface IPoolSettings {
  /** How long a worker that no pool uses waits for the kernel's next pool, in seconds. */
  idleWorkerSeconds: number;
  /** How many workers each Pyodide kernel starts with, which the idle time does not stop. */
  prestartWorkers: number;
}

export const DEFAULT_POOL_SETTINGS: Readonly<IPoolSettings> = {
  idleWorkerSeconds: 300,
  prestartWorkers: 0
};

export const poolSettings: IPoolSettings = { ...DEFAULT_POOL_SETTINGS };

/** Take the settings the registry gives, each only if it is valid. */
export function applyPoolSettings(composite: Partial<IPoolSettings>): void {
  const seconds = composite.idleWorkerSeconds;
  poolSettings.idleWorkerSeconds =
    typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
      ? seconds
      : DEFAULT_POOL_SETTINGS.idleWorkerSeconds;
  const prestart = composite.prestartWorkers;
  poolSettings.prestartWorkers =
    typeof prestart === 'number' && Number.isInteger(prestart) && prestart >= 0
      ? prestart
      : DEFAULT_POOL_SETTINGS.prestartWorkers;
}

let settingsRead: () => void = () => {};

/**
 * Settled once the pool plugin has read the settings, or found none to read: a kernel's
 * set-up waits for it, so that the first kernel of a page starts as many workers as asked.
 */
export const poolSettingsRead = new Promise<void>(resolve => {
  settingsRead = resolve;
});

export function poolSettingsDone(): void {
  settingsRead();
}
