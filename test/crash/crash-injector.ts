/**
 * Crash injection at activity granularity, for the crash suite: wraps every activity function the
 * worker registers so that one chosen invocation fails once, either BEFORE it runs (nothing
 * happened) or AFTER its side effects committed (the real activity ran to the end, then the
 * attempt fails as if the worker died before reporting), with a retryable failure so Temporal
 * retries it. That retry must be indistinguishable from the first call.
 *
 * It also records the sequence of first attempts (activity name and occurrence), so a path run
 * once cleanly yields the list of its crash points.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';

/** Fail before running the activity, or after it ran to completion. */
export type CrashMode = 'before' | 'after';

/** One step of a path: the `occurrence`-th first attempt (1-based) of `activity` within a run. */
export interface CrashStep {
  activity: string;
  occurrence: number;
}

/** Where to crash. */
export interface CrashPoint extends CrashStep {
  mode: CrashMode;
}

/** The failure type an injected crash carries (no retry policy lists it as non-retryable). */
export const INJECTED_CRASH = 'INJECTED_CRASH';

type ActivityFunction = (...args: never[]) => Promise<unknown>;

/** The injector shared by the worker's activities and the test driving them. */
export interface CrashInjector {
  /** The same activities, each wrapped. */
  wrap<T extends Record<string, ActivityFunction>>(activities: T): T;
  /** Starts a run: forgets the recorded steps and crashes at `point` (null: a clean run). */
  arm(point: CrashPoint | null): void;
  /** First attempts seen since `arm`, in start order. */
  steps(): CrashStep[];
  /** Whether the armed crash happened. */
  fired(): boolean;
  /**
   * Resolves once no activity call is running and no injected crash awaits its retry for
   * `quietMs` in a row, or after `timeoutMs`; says which.
   */
  idle(quietMs: number, timeoutMs: number): Promise<boolean>;
  /** Milliseconds since the last activity call started or ended. */
  quietFor(): number;
}

/** Builds an injector; `retryDelayMs` is the delay Temporal waits before retrying an injected crash. */
export function createCrashInjector(options: { retryDelayMs?: number } = {}): CrashInjector {
  const retryDelayMs = options.retryDelayMs ?? 50;
  let armed: CrashPoint | null = null;
  let hasFired = false;
  let awaitingRetry: string | null = null;
  let running = 0;
  let lastChange = Date.now();
  const counts = new Map<string, number>();
  let seen: CrashStep[] = [];

  const crash = (point: CrashPoint) => {
    hasFired = true;
    awaitingRetry = point.activity;
    return ApplicationFailure.create({
      message: `injected crash ${point.mode} ${point.activity}#${point.occurrence}`,
      type: INJECTED_CRASH,
      nonRetryable: false,
      nextRetryDelay: retryDelayMs,
    });
  };

  function wrapOne(name: string, fn: ActivityFunction): ActivityFunction {
    return async (...args) => {
      const attempt = Context.current().info.attempt;
      if (awaitingRetry === name && attempt > 1) awaitingRetry = null;
      let target: CrashPoint | null = null;
      if (attempt === 1) {
        const occurrence = (counts.get(name) ?? 0) + 1;
        counts.set(name, occurrence);
        seen.push({ activity: name, occurrence });
        if (armed !== null && !hasFired && armed.activity === name && armed.occurrence === occurrence) target = armed;
      }
      running += 1;
      lastChange = Date.now();
      try {
        if (target?.mode === 'before') throw crash(target);
        const result = await fn(...args);
        if (target?.mode === 'after') throw crash(target);
        return result;
      } finally {
        running -= 1;
        lastChange = Date.now();
      }
    };
  }

  return {
    wrap(activities) {
      const wrapped: Record<string, ActivityFunction> = {};
      for (const [name, fn] of Object.entries(activities)) wrapped[name] = wrapOne(name, fn);
      return wrapped as typeof activities;
    },
    arm(point) {
      armed = point;
      lastChange = Date.now();
      hasFired = false;
      awaitingRetry = null;
      counts.clear();
      seen = [];
    },
    steps: () => [...seen],
    fired: () => hasFired,
    quietFor: () => (running > 0 || awaitingRetry !== null ? 0 : Date.now() - lastChange),
    async idle(quietMs, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (running === 0 && awaitingRetry === null && Date.now() - lastChange >= quietMs) return true;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
