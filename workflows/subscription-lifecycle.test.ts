import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_LIFECYCLE_SETTINGS,
  SEEN_PAYMENTS_LIMIT,
  hoursLeft,
  initialState,
  markRemindersUpTo,
  nextTimer,
  periodOutcome,
  rememberPayment,
  reminderKey,
  type SubscriptionState,
} from './subscription-lifecycle';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

function activeUntil(endMs: number, overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return { ...initialState(DEFAULT_LIFECYCLE_SETTINGS), phase: 'active', endsAt: new Date(endMs).toISOString(), serverId: 1, ...overrides };
}

describe('nextTimer', () => {
  it('waits for nothing before the first payment and after the end', () => {
    assert.equal(nextTimer(initialState(DEFAULT_LIFECYCLE_SETTINGS), T0), null);
    assert.equal(nextTimer({ ...activeUntil(T0), phase: 'cancelled' }, T0), null);
  });

  it('orders a 30-day period: auto-renew and reminders at T-3d and T-1d, then expiry', () => {
    const end = T0 + 30 * DAY;
    let state = activeUntil(end);
    const seen: string[] = [];
    let now = T0;
    for (let step = 0; step < 4; step += 1) {
      const timer = nextTimer(state, now);
      assert.ok(timer !== null);
      seen.push(`${timer.kind}@${(end - timer.atMs) / HOUR}h`);
      now = timer.atMs;
      if (timer.kind === 'reminder') state = markRemindersUpTo(state, now);
      if (timer.kind === 'autoRenew') state = { ...state, autoRenewTriedFor: state.endsAt };
    }
    assert.deepEqual(seen, ['reminder@72h', 'autoRenew@24h', 'reminder@24h', 'expire@0h']);
  });

  it('sends only the nearest missed reminder when a period starts inside the window', () => {
    const end = T0 + 12 * HOUR;
    const state = activeUntil(end, { autoRenewTriedFor: new Date(end).toISOString() });
    const timer = nextTimer(state, T0);
    assert.deepEqual(timer, { kind: 'reminder', atMs: T0, offsetHours: 24 });
    const after = markRemindersUpTo(state, T0);
    assert.deepEqual(after.remindersSent.sort(), [reminderKey(state.endsAt ?? '', 24), reminderKey(state.endsAt ?? '', 72)].sort());
    assert.equal(nextTimer(after, T0)?.kind, 'expire');
  });

  it('re-arms reminders for a new period: keys belong to an end date', () => {
    const first = markRemindersUpTo(activeUntil(T0 + DAY), T0 + DAY);
    const renewed = markRemindersUpTo({ ...first, endsAt: new Date(T0 + 31 * DAY).toISOString() }, T0 + DAY);
    assert.deepEqual(renewed.remindersSent, []);
    assert.equal(nextTimer({ ...renewed, autoRenewTriedFor: renewed.endsAt }, T0 + DAY)?.kind, 'reminder');
  });

  it('ends the grace window graceHours after the period', () => {
    const state = { ...activeUntil(T0), phase: 'grace' as const };
    assert.deepEqual(nextTimer(state, T0 + HOUR), { kind: 'graceOver', atMs: T0 + DEFAULT_LIFECYCLE_SETTINGS.graceHours * HOUR });
  });
});

describe('payments and periods', () => {
  it('remembers each payment once, in a bounded list', () => {
    let state = initialState(DEFAULT_LIFECYCLE_SETTINGS);
    const first = rememberPayment(state, 1);
    assert.equal(first.fresh, true);
    assert.equal(rememberPayment(first.state, 1).fresh, false);
    for (let id = 1; id <= SEEN_PAYMENTS_LIMIT + 5; id += 1) state = rememberPayment(state, id).state;
    assert.equal(state.seenPaymentIds.length, SEEN_PAYMENTS_LIMIT);
    assert.equal(state.seenPaymentIds[0], 6);
  });

  it('decides what a new period does to the key', () => {
    assert.equal(periodOutcome('awaiting_payment'), 'provision');
    assert.equal(periodOutcome('provisioning'), 'provision');
    assert.equal(periodOutcome('active'), 'extend');
    assert.equal(periodOutcome('grace'), 'reenable');
    assert.equal(periodOutcome('expired'), 'provision', 'a payment after the grace window provisions again');
    assert.equal(periodOutcome('cancelled'), 'none');
  });

  it('counts whole hours left, never negative', () => {
    assert.equal(hoursLeft(new Date(T0 + 25 * HOUR + 59_000).toISOString(), T0), 25);
    assert.equal(hoursLeft(new Date(T0 - HOUR).toISOString(), T0), 0);
  });
});
