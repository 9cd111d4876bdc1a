/**
 * The subscription workflow's state and its pure decisions: which timer comes next, which
 * reminders are due, how a completed period changes the phase. No I/O, no Temporal imports: it
 * is unit-tested on its own and the workflow only executes what it decides.
 */

/** Where a subscription is in its life. Shown in the UI through the SubscriptionStatus attribute. */
export type Phase = 'awaiting_payment' | 'provisioning' | 'active' | 'grace' | 'expired' | 'cancelled';

/** Operator-tunable timings, read once from the worker's config and carried in the state. */
export interface LifecycleSettings {
  /** Hours before the end of a period at which a reminder goes out, e.g. [72, 24]. */
  reminderOffsetsHours: number[];
  /** Hours after the end during which a payment re-enables the same key. */
  graceHours: number;
  /** Hours before the end at which auto-renewal from balance is attempted. */
  autoRenewLeadHours: number;
  /** Seconds of a still-running provisioning after which the user is told the key is delayed. */
  provisionDelayNoticeSeconds: number;
  /** Continue-as-new after this many handled events even if the server does not suggest it. */
  maxEventsPerRun: number;
}

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
}

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
  };
}

/** A moment the workflow must wake up at, and why. */
export type Timer =
  | { kind: 'reminder'; atMs: number; offsetHours: number }
  | { kind: 'autoRenew'; atMs: number }
  | { kind: 'expire'; atMs: number }
  | { kind: 'graceOver'; atMs: number };

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
  if (state.phase === 'grace') return { kind: 'graceOver', atMs: endMs + state.settings.graceHours * HOUR_MS };
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
  return candidates.sort((a, b) => a.atMs - b.atMs || order(a) - order(b))[0] ?? null;
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

/** Decides what a period change (payment, trial, extension, auto-renewal) requires. */
export function periodOutcome(previous: Phase): PeriodOutcome {
  switch (previous) {
    case 'awaiting_payment':
    case 'provisioning':
      return 'provision';
    case 'active':
      return 'extend';
    case 'grace':
      return 'reenable';
    case 'expired':
    case 'cancelled':
      return 'none';
  }
}

/** Hours between now and the end of the period, rounded down, never negative. */
export function hoursLeft(endsAt: string, nowMs: number): number {
  return Math.max(0, Math.floor((Date.parse(endsAt) - nowMs) / HOUR_MS));
}
