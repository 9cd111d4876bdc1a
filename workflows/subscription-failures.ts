/**
 * What a failure does to the subscription workflow's state, as pure functions: failed work is
 * parked with backoff (or, for a finished subscription's client cleanup, given up), a failed timer
 * step is held back, and either may owe the operators an alert. The workflow's loop assigns the
 * state they return and sends the alerts after the current item.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ParkableWork, ParkedWork, Retry, SubscriptionState } from './subscription-lifecycle';
import { CLEANUP_ATTEMPTS, failedAgain, park, workKey } from './subscription-parking';

/** An operator alert owed for a step still failing (kind `work_parked`). */
export interface DueAlert {
  key: string;
  summary: string;
  paymentId?: number;
}

/** The stable type of an error for logs and state (never its message: it may carry details). */
export function errorType(error: unknown): string {
  if (error instanceof ApplicationFailure) return error.type ?? 'ApplicationFailure';
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof ApplicationFailure) return cause.type ?? 'ApplicationFailure';
    return error.name;
  }
  return 'unknown';
}

/** The operators' alert about a step still failing. */
export function failingAlert(
  subscriptionId: number,
  stepKey: string,
  bucket: string,
  what: string,
  retry: Retry,
  paymentId?: number,
): DueAlert {
  return {
    key: `work_parked:sub-${subscriptionId}:${stepKey}:${bucket}`,
    summary: `subscription ${subscriptionId}: ${what} ${retry.attempt} times (last error ${retry.error}); retrying with backoff.`,
    ...(paymentId === undefined ? {} : { paymentId }),
  };
}

/** The state after work failed: parked with backoff, or given up (a finished subscription's client cleanup). */
export interface WorkFailure {
  state: SubscriptionState;
  parked: ParkedWork;
  /** The cleanup was left to the panel reconciler (nothing parked). */
  gaveUp: boolean;
  alert: DueAlert | null;
}

/** Parks failed work with backoff; alerts the operators at the third attempt, then daily. */
export function workFailed(
  current: SubscriptionState,
  subscriptionId: number,
  work: ParkableWork,
  previous: Retry | undefined,
  error: string,
  nowMs: number,
): WorkFailure {
  const earlier = previous ?? current.parked.find((item) => item.key === workKey(work));
  const terminal = current.phase === 'cancelled' || current.phase === 'expired';
  const { state: next, parked, alertBucket } = park(current, work, earlier, error, nowMs);
  if (work.type === 'ensureClient' && terminal && parked.attempt >= CLEANUP_ATTEMPTS) {
    // The panel reconciler deletes a finished subscription's leftover client; stop trying here.
    return {
      state: { ...next, parked: next.parked.filter((item) => item.key !== parked.key) },
      parked,
      gaveUp: true,
      alert: {
        key: `work_parked:sub-${subscriptionId}:${parked.key}:given-up`,
        summary: `subscription ${subscriptionId}: removing its panel client failed ${parked.attempt} times (${parked.error}); left to the panel reconciler.`,
      },
    };
  }
  const paymentId = work.type === 'payment' ? work.paymentId : undefined;
  const alert =
    alertBucket === null ? null : failingAlert(subscriptionId, parked.key, alertBucket, `${parked.key} failed`, parked, paymentId);
  return { state: next, parked, gaveUp: false, alert };
}

/** The state after the timer step `key` succeeded: its hold-back, if any, is over. */
export function timerSucceeded(current: SubscriptionState, key: string): SubscriptionState {
  return current.timerRetry?.key === key ? { ...current, timerRetry: null } : current;
}

/** The state after the timer step `key` failed: held back with backoff (and alerted at the third attempt, then daily). */
export function timerFailed(
  current: SubscriptionState,
  subscriptionId: number,
  key: string,
  kind: string,
  error: string,
  nowMs: number,
): { state: SubscriptionState; retry: Retry; alert: DueAlert | null } {
  const previous = current.timerRetry ?? undefined;
  const { retry, alertBucket } = failedAgain(previous?.key === key ? previous : undefined, key, error, nowMs);
  const alert = alertBucket === null ? null : failingAlert(subscriptionId, key, alertBucket, `the ${kind} step failed`, retry);
  return { state: { ...current, timerRetry: retry }, retry, alert };
}
