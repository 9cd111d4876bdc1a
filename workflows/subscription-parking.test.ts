import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIFECYCLE_SETTINGS, initialState, nextTimer, periodDecision, type SubscriptionState } from './subscription-lifecycle';
import { ALERT_EVERY_MS, PARK_CAP_MS, backoffMs, failedAgain, isParked, nextParkedAtMs, park, takeDue } from './subscription-parking';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-12-01T00:00:00.000Z');

describe('parking of failing work', () => {
  it('backs off from 1 minute, doubling, capped at 1 hour', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map(backoffMs), [
      MINUTE,
      2 * MINUTE,
      4 * MINUTE,
      8 * MINUTE,
      16 * MINUTE,
      32 * MINUTE,
      HOUR,
      PARK_CAP_MS,
    ]);
  });

  it('alerts at the third failure, then once a day, with a key per bucket', () => {
    let retry = undefined as ReturnType<typeof failedAgain>['retry'] | undefined;
    const buckets: string[] = [];
    let now = T0;
    for (let attempt = 1; attempt <= 60; attempt += 1) {
      const next = failedAgain(retry, 'payment-7', 'DATABASE_UNAVAILABLE', now);
      if (next.alertBucket !== null) buckets.push(`${attempt}:${next.alertBucket}`);
      retry = next.retry;
      now = retry.atMs;
    }
    assert.equal(buckets[0], '3:attempt-3');
    assert.ok(buckets.length === 3 && buckets.slice(1).every((bucket, index) => bucket.endsWith(`day-${index + 1}`)), buckets.join(','));
    assert.ok(now - T0 > 2 * ALERT_EVERY_MS);
  });

  it('keeps parked work in the state until it is due, one entry per item', () => {
    let state: SubscriptionState = initialState(DEFAULT_LIFECYCLE_SETTINGS);
    state = park(state, { type: 'payment', paymentId: 7 }, undefined, 'X', T0).state;
    const again = park(state, { type: 'payment', paymentId: 7 }, state.parked[0], 'X', T0 + MINUTE);
    state = again.state;
    assert.equal(state.parked.length, 1);
    assert.equal(again.parked.attempt, 2);
    assert.ok(isParked(state, { type: 'payment', paymentId: 7 }));
    assert.equal(nextParkedAtMs(state), T0 + MINUTE + 2 * MINUTE);
    assert.deepEqual(takeDue(state, T0 + 2 * MINUTE).due, []);
    const due = takeDue(state, T0 + 3 * MINUTE);
    assert.deepEqual(
      due.due.map((item) => item.key),
      ['payment-7'],
    );
    assert.deepEqual(due.state.parked, []);
  });
});

describe('timers and periods with failing steps', () => {
  const active = (endMs: number): SubscriptionState => ({
    ...initialState({ ...DEFAULT_LIFECYCLE_SETTINGS, reminderOffsetsHours: [] }),
    phase: 'active',
    endsAt: new Date(endMs).toISOString(),
    serverId: 1,
  });

  it('holds a failed auto-renewal back without delaying the expiry', () => {
    const end = T0 + 24 * HOUR;
    const state = {
      ...active(end),
      timerRetry: {
        key: `autoRenew:${new Date(end).toISOString()}`,
        attempt: 1,
        atMs: T0 + 30 * HOUR,
        firstFailedAtMs: T0,
        lastAlertAtMs: null,
        error: 'X',
      },
    };
    assert.deepEqual(nextTimer(active(end), T0), { kind: 'autoRenew', atMs: T0 });
    assert.deepEqual(nextTimer(state, T0), { kind: 'expire', atMs: end });
  });

  it('ends a paid period on time even while its key is still being provisioned', () => {
    const end = T0 + 24 * HOUR;
    assert.deepEqual(nextTimer({ ...active(end), phase: 'provisioning' }, T0), { kind: 'expire', atMs: end });
  });

  it('decides from the state and the recorded period, not from who applied it', () => {
    const end = T0 + 24 * HOUR;
    assert.equal(periodDecision(active(end), new Date(end).toISOString()), 'none', 'a retried change the state already knows');
    assert.equal(periodDecision(active(end), new Date(end + HOUR).toISOString()), 'extend');
    assert.equal(periodDecision({ ...active(end), phase: 'provisioning' }, new Date(end).toISOString()), 'provision');
    assert.equal(periodDecision({ ...active(end), phase: 'grace' }, new Date(end + HOUR).toISOString()), 'reenable');
  });
});
