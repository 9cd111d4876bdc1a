/**
 * Parking of work that keeps failing, as pure functions over the workflow state: exponential
 * backoff (1 minute doubling to a 1 hour cap) instead of a retry every minute, and when to tell the
 * operators (at the third failed attempt, then once a day). Parked work lives in the state, so it
 * survives continue-as-new, and the loop keeps firing timers while it waits.
 */
import type { ParkableWork, ParkedWork, Retry, SubscriptionState } from './subscription-lifecycle';

/** First retry delay of a failing step, in ms; doubles per failed attempt. */
export const PARK_BASE_MS = 60_000;
/** Longest retry delay, in ms. */
export const PARK_CAP_MS = 60 * 60_000;
/** The failed attempt at which operators are first alerted. */
export const ALERT_AT_ATTEMPT = 3;
/** After the first alert, operators hear about a still-failing step once per this many ms. */
export const ALERT_EVERY_MS = 24 * 60 * 60_000;
/** Cleanup of a finished subscription's panel client is dropped after this many failed attempts (the panel reconciler deletes leftovers). */
export const CLEANUP_ATTEMPTS = 5;

/** Delay before attempt `attempt + 1`, after `attempt` failures (>= 1). */
export function backoffMs(attempt: number): number {
  return Math.min(PARK_CAP_MS, PARK_BASE_MS * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
}

/** The stable name of a work item, for retry bookkeeping and alert keys. */
export function workKey(work: ParkableWork): string {
  switch (work.type) {
    case 'payment':
      return `payment-${work.paymentId}`;
    case 'referral':
      return `referral-${work.paymentId}`;
    case 'trial':
      return 'trial';
    case 'ensureClient':
      return 'ensure-client';
    case 'cancel':
      return 'cancel';
    case 'move':
      return `move-${work.fromServerId}`;
  }
}

/**
 * The bookkeeping after one more failure of step `key`, and the alert bucket when operators must
 * hear about it now (`attempt-3`, then `day-N` once a day), else null.
 */
export function failedAgain(
  previous: Retry | undefined,
  key: string,
  error: string,
  nowMs: number,
): { retry: Retry; alertBucket: string | null } {
  const attempt = (previous?.attempt ?? 0) + 1;
  const firstFailedAtMs = previous?.firstFailedAtMs ?? nowMs;
  const lastAlertAtMs = previous?.lastAlertAtMs ?? null;
  let alertBucket: string | null = null;
  if (attempt === ALERT_AT_ATTEMPT) alertBucket = `attempt-${ALERT_AT_ATTEMPT}`;
  else if (attempt > ALERT_AT_ATTEMPT && lastAlertAtMs !== null && nowMs - lastAlertAtMs >= ALERT_EVERY_MS) {
    alertBucket = `day-${Math.floor((nowMs - firstFailedAtMs) / ALERT_EVERY_MS)}`;
  }
  return {
    retry: {
      key,
      attempt,
      atMs: nowMs + backoffMs(attempt),
      firstFailedAtMs,
      lastAlertAtMs: alertBucket === null ? lastAlertAtMs : nowMs,
      error,
    },
    alertBucket,
  };
}

/** Parks `work` after a failure (replacing an older parking of the same item). */
export function park(
  state: SubscriptionState,
  work: ParkableWork,
  previous: Retry | undefined,
  error: string,
  nowMs: number,
): { state: SubscriptionState; parked: ParkedWork; alertBucket: string | null } {
  const key = workKey(work);
  const { retry, alertBucket } = failedAgain(previous, key, error, nowMs);
  const parked: ParkedWork = { ...retry, work };
  return { state: { ...state, parked: [...state.parked.filter((item) => item.key !== key), parked] }, parked, alertBucket };
}

/** Whether `work` is already parked (a redelivered signal then adds nothing). */
export function isParked(state: SubscriptionState, work: ParkableWork): boolean {
  const key = workKey(work);
  return state.parked.some((item) => item.key === key);
}

/** Takes the parked items due at `nowMs` out of the state, oldest retry time first. */
export function takeDue(state: SubscriptionState, nowMs: number): { state: SubscriptionState; due: ParkedWork[] } {
  const due = state.parked.filter((item) => item.atMs <= nowMs).sort((a, b) => a.atMs - b.atMs);
  if (due.length === 0) return { state, due };
  return { state: { ...state, parked: state.parked.filter((item) => item.atMs > nowMs) }, due };
}

/** Epoch ms of the earliest parked retry, or null when nothing is parked. */
export function nextParkedAtMs(state: SubscriptionState): number | null {
  return state.parked.reduce<number | null>((min, item) => (min === null || item.atMs < min ? item.atMs : min), null);
}
