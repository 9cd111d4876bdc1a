/**
 * `mapSettled`: runs one activity call per item with a bound on how many are in flight, and
 * collects failures instead of failing the whole sweep (one dead panel must not hide the rest).
 * Deterministic: calls are issued in input order, so replay issues the same commands.
 */
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/workflow';

/** The outcome for one item. */
export type Settled<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: string };

/**
 * Calls `fn` for every item, at most `limit` at a time, and returns the outcomes in input order.
 * A failed call becomes `{ ok: false, error }` with the failure's type (e.g. PANEL_UNAVAILABLE,
 * or the timeout kind); anything that is not a Temporal failure is rethrown, since it is a bug.
 *
 * @param limit most calls in flight, >= 1 (fractions are floored)
 */
export async function mapSettled<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<Settled<T, R>[]> {
  const results = new Array<Settled<T, R>>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index] as T;
      try {
        results[index] = { item, ok: true, value: await fn(item) };
      } catch (error) {
        if (!(error instanceof TemporalFailure)) throw error;
        results[index] = { item, ok: false, error: failureType(error) };
      }
    }
  }
  const lanes = Math.max(1, Math.min(Math.floor(limit), items.length));
  await Promise.all(Array.from({ length: lanes }, () => lane()));
  return results;
}

/** The most telling name of a failure: the ApplicationFailure type of its cause chain, else its class. */
export function failureType(error: TemporalFailure): string {
  let current: unknown = error;
  while (current instanceof TemporalFailure) {
    if (current instanceof ApplicationFailure && current.type) return current.type;
    if (!(current instanceof ActivityFailure) && current.cause === undefined) return current.name;
    current = current.cause;
  }
  return current instanceof Error ? current.name : error.name;
}
