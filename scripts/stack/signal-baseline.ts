/**
 * Imported first by the launchers (dev, test): remembers which signal listeners existed before
 * any library was loaded (tsx's own, which tells its parent that the signal arrived). The
 * cleanup stack later removes only listeners that libraries added after this point, keeping
 * tsx's when the launcher runs under the tsx CLI (npm scripts run it with `node --import tsx`,
 * which has no such relay: the relay SIGKILLs a launcher that does not acknowledge a signal
 * within 30 ms, which a busy launcher can miss).
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The listeners present before the launcher's imports, per signal. */
export const baselineSignalListeners: ReadonlyMap<string, ReadonlySet<(...args: unknown[]) => void>> = new Map(
  SIGNALS.map((signal) => [signal, new Set(process.listeners(signal) as Array<(...args: unknown[]) => void>)]),
);
