/**
 * The pool's settings (`schema/pool.json`), read by the page's half of every kernel's pool.
 * The pool plugin keeps them current; until it has read them, they are the schema's defaults.
 */
export interface IPoolSettings {
  /** How long a worker that no pool uses waits for the kernel's next pool, in seconds. */
  idleWorkerSeconds: number;
}

export const DEFAULT_POOL_SETTINGS: Readonly<IPoolSettings> = {
  idleWorkerSeconds: 300
};

export const poolSettings: IPoolSettings = { ...DEFAULT_POOL_SETTINGS };

/** Take the settings the registry gives, each only if it is valid. */
export function applyPoolSettings(composite: Partial<IPoolSettings>): void {
  const seconds = composite.idleWorkerSeconds;
  poolSettings.idleWorkerSeconds =
    typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
      ? seconds
      : DEFAULT_POOL_SETTINGS.idleWorkerSeconds;
}
