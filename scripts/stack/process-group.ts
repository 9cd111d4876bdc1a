import { baselineSignalListeners } from './signal-baseline';

/**
 * Runs cleanup steps once, in reverse order of registration, on normal exit and on
 * SIGINT/SIGTERM/SIGHUP, so a run leaves no server process behind.
 */
export interface CleanupStack {
  /** Registers a step (e.g. stopping a server); steps run last-in, first-out. */
  push(name: string, step: () => Promise<void>): void;
  /** Runs every step once; later calls wait for the first. */
  run(): Promise<void>;
  /** True once cleanup has begun (so an expected child exit is not treated as a crash). */
  readonly stopping: boolean;
}

/** Creates a cleanup stack wired to process signals; `onSignal` decides the exit code. */
export function createCleanupStack(log: (line: string) => void): CleanupStack {
  const steps: { name: string; step: () => Promise<void> }[] = [];
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      for (const { name, step } of steps.reverse()) {
        try {
          await step();
        } catch (error) {
          log(`cleanup ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return running;
  };
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // The launcher owns the signals: listeners that libraries added after the baseline (an
    // exit hook that would stop Postgres and exit at once, racing the ordered shutdown) go.
    const keep = baselineSignalListeners.get(signal);
    for (const listener of process.listeners(signal)) {
      if (!keep?.has(listener as (...args: unknown[]) => void)) process.removeListener(signal, listener);
    }
    // `on`, not `once`: a terminal's Ctrl-C reaches the launcher once directly and once more
    // through npm, which forwards it, and impatient users press it again. Without a listener
    // the next one would kill the launcher mid-shutdown and leave the servers it had not yet
    // stopped (the Temporal dev server runs in its own process group) running.
    process.on(signal, () => {
      signals += 1;
      if (signals > 1) {
        log(`${signal}: still stopping in order; every process will be stopped`);
        return;
      }
      log(`${signal}: stopping`);
      void run().then(() => process.exit(130));
    });
  }
  return {
    push: (name, step) => steps.push({ name, step }),
    run,
    get stopping() {
      return running !== undefined;
    },
  };
}
