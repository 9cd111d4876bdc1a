/**
 * The subscription workflow's state and its pure decisions: which timer comes next, which
 * reminders are due, how a completed period changes the phase. No I/O, no Temporal imports: it
 * is unit-tested on its own and the workflow only executes what it decides.
 */
import type { LifecycleSettings } from '../activities/contracts/settings-activities';

export type { LifecycleSettings } from '../activities/contracts/settings-activities';

/** Where a subscription is in its life. Shown in the UI through the SubscriptionStatus attribute. */
export type Phase = 'awaiting_payment' | 'provisioning' | 'active' | 'grace' | 'expired' | 'cancelled';

/** The workflow's whole state: plain JSON, carried through continue-as-new. */
export interface SubscriptionState {
  phase: Phase;
  /** ISO end of the paid period (null before the first payment or trial). */
  endsAt: string | null;
  /** Server the client lives on. */
  serverId: number | null;
  /** Payment ids already applied (bounded), so a redelivered signal is a no-op. */
  seenPaymentIds: number[];
  /** Reminder keys already sent for the current period: `${endsAt}|${offsetHours}`. */
  remindersSent: string[];
  /** The endsAt for which auto-renewal was already attempted. */
  autoRenewTriedFor: string | null;
  /** Paid periods after the first. */
  renewals: number;
  /** Events handled in this run (reset by continue-as-new). */
  eventsThisRun: number;
  settings: LifecycleSettings;
  /** Work that kept failing, waiting for its next attempt (carried through continue-as-new). */
  parked: ParkedWork[];
  /** The period end for which the user was told their key is delayed (once per period). */
  delayToldFor: string | null;
  /** A timer step that failed, held back until its next attempt. */
  timerRetry: Retry | null;
}

/** Retry bookkeeping of one failing step (a parked work item or a timer step). */
export interface Retry {
  /** Stable name of the step, e.g. `payment-7`, `expire:2026-12-01T00:00:00.000Z`. */
  key: string;
  /** Failed attempts so far. */
  attempt: number;
  /** Epoch ms of the next attempt. */
  atMs: number;
  firstFailedAtMs: number;
  /** Epoch ms of the last operator alert about it, null before the first. */
  lastAlertAtMs: number | null;
  /** Type of the last error (never its details: they may carry secrets). */
  error: string;
}

/** A parked work item: the work (plain JSON, as the loop queues it) and its retry bookkeeping. */
export interface ParkedWork extends Retry {
  work: ParkableWork;
}

/** Work items that can be parked (signals and follow-ups; updates answer their caller instead). */
export type ParkableWork =
  | { type: 'payment'; paymentId: number }
  | { type: 'trial'; days: number; seconds?: number }
  | { type: 'ensureClient' }
  | { type: 'referral'; paymentId: number }
  | {
      type: 'cancel';
      actor: { type: 'operator'; telegramId: number } | { type: 'system'; component: string } | { type: 'user'; userId: number };
    }
  | { type: 'move'; fromServerId: number; toServerId?: number };

/** Defaults when the worker's config does not say otherwise. */
export const DEFAULT_LIFECYCLE_SETTINGS: LifecycleSettings = {
  reminderOffsetsHours: [72, 24],
  graceHours: 72,
  autoRenewLeadHours: 24,
  provisionDelayNoticeSeconds: 30,
  maxEventsPerRun: 500,
};

/** How many payment ids the state remembers for deduplication. */
export const SEEN_PAYMENTS_LIMIT = 100;

const HOUR_MS = 60 * 60 * 1000;

/** The state of a newly started subscription workflow. */
export function initialState(settings: LifecycleSettings): SubscriptionState {
  return {
    phase: 'awaiting_payment',
    endsAt: null,
    serverId: null,
    seenPaymentIds: [],
    remindersSent: [],
    autoRenewTriedFor: null,
    renewals: 0,
    eventsThisRun: 0,
    settings,
    parked: [],
    delayToldFor: null,
    timerRetry: null,
  };
}

/** A state carried from a run of older code, with the fields added since filled in. */
export function normalizeState(state: SubscriptionState): SubscriptionState {
  return { ...state, parked: state.parked ?? [], delayToldFor: state.delayToldFor ?? null, timerRetry: state.timerRetry ?? null };
}

/** A moment the workflow must wake up at, and why. */
export type Timer =
  | { kind: 'reminder'; atMs: number; offsetHours: number }
  | { kind: 'autoRenew'; atMs: number }
  | { kind: 'expire'; atMs: number }
  | { kind: 'graceOver'; atMs: number };

/** The retry key of a timer step: its kind and the period end it belongs to. */
export function timerKey(timer: Timer, endsAt: string | null): string {
  return timer.kind === 'reminder' ? `reminder:${endsAt}:${timer.offsetHours}` : `${timer.kind}:${endsAt}`;
}

/** The reminder's idempotency key within the state (and, prefixed, in the notifications outbox). */
export function reminderKey(endsAt: string, offsetHours: number): string {
  return `${endsAt}|${offsetHours}`;
}

/**
 * The next thing to wake up for. Reminders whose moment has already passed when the period
 * began (a renewal landing inside the window) are skipped, not sent late in a burst: only the
 * nearest passed one is sent.
 */
export function nextTimer(state: SubscriptionState, nowMs: number): Timer | null {
  if (state.endsAt === null) return null;
  const endMs = Date.parse(state.endsAt);
  if (state.phase === 'grace') return held(state, [{ kind: 'graceOver', atMs: endMs + state.settings.graceHours * HOUR_MS }])[0] ?? null;
  // A paid period whose key is still being provisioned ends on time too.
  if (state.phase === 'provisioning') return held(state, [{ kind: 'expire', atMs: endMs }])[0] ?? null;
  if (state.phase !== 'active') return null;
  const candidates: Timer[] = [{ kind: 'expire', atMs: endMs }];
  const pending = state.settings.reminderOffsetsHours
    .filter((offset) => !state.remindersSent.includes(reminderKey(state.endsAt ?? '', offset)))
    .map((offsetHours) => ({ kind: 'reminder' as const, atMs: endMs - offsetHours * HOUR_MS, offsetHours }));
  const passed = pending.filter((timer) => timer.atMs <= nowMs).sort((a, b) => b.atMs - a.atMs);
  const upcoming = pending.filter((timer) => timer.atMs > nowMs);
  if (passed[0] !== undefined) candidates.push({ ...passed[0], atMs: nowMs });
  candidates.push(...upcoming);
  if (state.autoRenewTriedFor !== state.endsAt) {
    candidates.push({ kind: 'autoRenew', atMs: Math.max(nowMs, endMs - state.settings.autoRenewLeadHours * HOUR_MS) });
  }
  return held(state, candidates).sort((a, b) => a.atMs - b.atMs || order(a) - order(b))[0] ?? null;
}

/** Holds back the timer step that failed until its retry time (the others keep their moments). */
function held(state: SubscriptionState, timers: Timer[]): Timer[] {
  const retry = state.timerRetry;
  if (retry === null || retry === undefined) return timers;
  return timers.map((timer) =>
    timerKey(timer, state.endsAt) === retry.key ? { ...timer, atMs: Math.max(timer.atMs, retry.atMs) } : timer,
  );
}

/** Same-instant tie-break: renew before reminding, remind before expiring. */
function order(timer: Timer): number {
  return timer.kind === 'autoRenew' ? 0 : timer.kind === 'reminder' ? 1 : 2;
}

/**
 * Marks as sent every reminder of the current period whose moment is at or before `nowMs`
 * (the one just sent and any older ones skipped with it).
 */
export function markRemindersUpTo(state: SubscriptionState, nowMs: number): SubscriptionState {
  if (state.endsAt === null) return state;
  const endMs = Date.parse(state.endsAt);
  const due = state.settings.reminderOffsetsHours.filter((offset) => endMs - offset * HOUR_MS <= nowMs);
  const sent = new Set([...state.remindersSent, ...due.map((offset) => reminderKey(state.endsAt ?? '', offset))]);
  return { ...state, remindersSent: [...sent].filter((key) => key.startsWith(`${state.endsAt}|`)) };
}

/** Records a payment id as applied; false when it was already seen (a redelivery). */
export function rememberPayment(state: SubscriptionState, paymentId: number): { state: SubscriptionState; fresh: boolean } {
  if (state.seenPaymentIds.includes(paymentId)) return { state, fresh: false };
  return { state: { ...state, seenPaymentIds: [...state.seenPaymentIds, paymentId].slice(-SEEN_PAYMENTS_LIMIT) }, fresh: true };
}

/** What a new period means for the panel client and the user, given the phase before it. */
export type PeriodOutcome = 'provision' | 'extend' | 'reenable' | 'none';

/**
 * Decides what a period change (payment, trial, extension, auto-renewal) requires, from the phase
 * before it. An expired subscription (its client deleted) is provisioned again; a cancelled one
 * gets nothing.
 */
export function periodOutcome(previous: Phase): PeriodOutcome {
  switch (previous) {
    case 'awaiting_payment':
    case 'provisioning':
    case 'expired':
      return 'provision';
    case 'active':
      return 'extend';
    case 'grace':
      return 'reenable';
    case 'cancelled':
      return 'none';
  }
}

/**
 * What a period change's recorded result requires, from the workflow's own state and the period
 * the change produced, never from "which call applied it": a change already reflected in the state
 * (an active subscription whose known end is at or past the result's end: a retried or replayed
 * request) needs nothing more.
 */
export function periodDecision(state: SubscriptionState, snapshotEndsAt: string | null): PeriodOutcome {
  const known =
    state.phase === 'active' && state.endsAt !== null && snapshotEndsAt !== null && Date.parse(snapshotEndsAt) <= Date.parse(state.endsAt);
  return known ? 'none' : periodOutcome(state.phase);
}

/** The later of two ISO instants (null counts as earliest). */
export function laterEnd(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** Hours between now and the end of the period, rounded down, never negative. */
export function hoursLeft(endsAt: string, nowMs: number): number {
  return Math.max(0, Math.floor((Date.parse(endsAt) - nowMs) / HOUR_MS));
}
