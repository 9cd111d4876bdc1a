import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { countAuditLogs, listAuditLogs } from '../sql/repositories/audit-repository';
import { claimServerSlot } from '../sql/repositories/server-slots-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { createPendingSubscription, getSubscription } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, newPayment, newServer, newSubscription, newUser, testActor } from '../test/support/db-fixtures';
import { getBalance, getLedgerSum } from '../sql/repositories/ledger-repository';
import { getPayment } from '../sql/repositories/payments-repository';
import { getUserById } from '../sql/repositories/users-repository';
import type { LifecycleActor } from './contracts/lifecycle-activities';
import { DAY_MS, failureOf, startLifecycleTestKit, type LifecycleTestKit } from '../test/support/lifecycle-test-kit';

let kit: LifecycleTestKit;
before(async () => {
  kit = await startLifecycleTestKit();
});
after(async () => kit.close());

const operator: LifecycleActor = { type: 'operator', telegramId: 777 };
const endMs = (iso: string | null): number => new Date(iso ?? 0).getTime();

async function pendingOnPlan(userId?: number) {
  const owner = userId ?? (await newUser(kit.pool)).id;
  return createPendingSubscription(kit.pool, { userId: owner, planId: kit.monthPlan.id, actor: testActor });
}

describe('getSubscriptionSnapshot', () => {
  it('reads the row as plain JSON and types a missing one NOT_FOUND', async () => {
    const row = await pendingOnPlan();
    assert.deepEqual(await kit.activities.getSubscriptionSnapshot({ subscriptionId: row.id }), {
      subscriptionId: row.id,
      userId: row.user_id,
      planId: kit.monthPlan.id,
      status: 'pending',
      endsAt: null,
      serverId: null,
    });
    await assert.rejects(kit.activities.getSubscriptionSnapshot({ subscriptionId: 987_654 }), failureOf('NOT_FOUND'));
  });
});

describe('applyPayment', () => {
  it('applies a completed payment for the plan duration once, however often it is called', async () => {
    const row = await pendingOnPlan();
    const payment = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id, completed: true });
    const first = await kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id });
    assert.equal(first.applied, true);
    assert.equal(first.snapshot.status, 'active');
    assert.ok(Math.abs(endMs(first.snapshot.endsAt) - (Date.now() + 30 * DAY_MS)) < 60_000);
    const again = await Promise.all([1, 2, 3].map(() => kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id })));
    // Every retry answers as the first call did (applied = in effect), with the recorded period.
    assert.ok(again.every((result) => result.applied && result.snapshot.endsAt === first.snapshot.endsAt));
    assert.deepEqual(again[0], first);
    assert.equal(await countAuditLogs(kit.pool, { action: 'subscription.extended', entityId: row.id }), 1);
  });

  it('applies a plan with duration_seconds (a bench or test plan) for that many seconds, the same path as a month', async () => {
    const planId = await kit.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO subscription_plans (name, duration_days, duration_seconds, price_rub, is_active)
      VALUES ('bench 2 minutes', 1, 120, 1, false) RETURNING id
    `);
    const user = await newUser(kit.pool);
    const row = await createPendingSubscription(kit.pool, { userId: user.id, planId, actor: testActor });
    const payment = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id, completed: true });
    const before = Date.now();
    const first = await kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id });
    assert.equal(first.applied, true);
    const stored = await getSubscription(kit.pool, row.id);
    assert.equal((stored?.end_date?.getTime() ?? 0) - (stored?.start_date?.getTime() ?? 0), 120_000);
    assert.ok(Math.abs(endMs(first.snapshot.endsAt) - (before + 120_000)) < 10_000);
    const audit = (await listAuditLogs(kit.pool, { entityType: 'subscription', entityId: row.id })).find(
      (entry) => entry.action === 'subscription.extended',
    );
    assert.equal((audit?.details as Record<string, unknown> | null)?.['seconds'], 120);
  });

  it("refuses another subscription's payment and leaves a pending payment unapplied", async () => {
    const row = await pendingOnPlan();
    const other = await pendingOnPlan(row.user_id);
    const foreign = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: other.id, completed: true });
    await assert.rejects(kit.activities.applyPayment({ subscriptionId: row.id, paymentId: foreign.id }), failureOf('INVALID_INPUT'));
    const pending = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id });
    assert.equal((await kit.activities.applyPayment({ subscriptionId: row.id, paymentId: pending.id })).applied, false);
    await assert.rejects(kit.activities.applyPayment({ subscriptionId: row.id, paymentId: 987_654 }), failureOf('NOT_FOUND'));
  });
});

describe('applyPayment after a lost completion and on a cancelled subscription', () => {
  it('answers a retry after a committed first attempt with the recorded result, not "not applied"', async () => {
    const row = await pendingOnPlan();
    const payment = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id, completed: true });
    const first = await kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id });
    // The first attempt's completion is lost (worker killed after the commit); the retry comes later,
    // after another change moved the period: it still answers as the first attempt did.
    await kit.activities.extendPeriod({ subscriptionId: row.id, days: 3, requestId: 'after-lost-completion', actor: operator });
    const retry = await kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id });
    assert.deepEqual(retry, first);
    assert.equal(retry.applied, true);
    assert.equal(await countAuditLogs(kit.pool, { action: 'payment.applied', entityId: payment.id }), 1);
  });

  it('credits a payment that lands on a cancelled subscription to the balance once, audited, the same answer on retries', async () => {
    const row = await pendingOnPlan();
    await kit.activities.markCancelled({ subscriptionId: row.id, actor: operator });
    const payment = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id, amount: '249.00', completed: true });
    const results = await Promise.all([1, 2].map(() => kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id })));
    for (const result of results) {
      assert.equal(result.applied, false);
      assert.deepEqual(result.creditedToBalance, { amountKopecks: '24900' });
      assert.equal(result.snapshot.status, 'cancelled');
    }
    assert.equal(await getBalance(kit.pool, row.user_id), '249.00', 'credited once');
    assert.equal(await getLedgerSum(kit.pool, row.user_id), await getBalance(kit.pool, row.user_id));
    assert.equal((await getPayment(kit.pool, payment.id))?.status, 'refunded');
    assert.equal(await countAuditLogs(kit.pool, { action: 'payment.refunded', entityId: payment.id }), 1);
    assert.deepEqual(await kit.activities.applyPayment({ subscriptionId: row.id, paymentId: payment.id }), results[0]);
  });
});

describe('holdServerSlot', () => {
  it('claims a slot for a re-activated subscription, on the server it lived on, once', async () => {
    const server = await newServer(kit.pool);
    const row = await newActiveSubscription(kit.pool);
    await claimServerSlot(kit.pool, { subscriptionId: row.id, preferServerId: server.id, actor: testActor });
    await kit.pool.query(
      sql.unsafe`UPDATE subscriptions SET end_date = now() - interval '1 minute', start_date = now() - interval '31 days' WHERE id = ${row.id}`,
    );
    const endsAt = (await getSubscription(kit.pool, row.id))?.end_date?.toISOString() ?? '';
    await kit.activities.markExpired({ subscriptionId: row.id, endsAt });
    const usersAfterExpiry = (await getServer(kit.pool, server.id))?.current_users ?? -1;
    await kit.pool.query(
      sql.unsafe`UPDATE subscriptions SET status = 'active', end_date = now() + interval '30 days' WHERE id = ${row.id}`,
    );
    const held = await Promise.all([1, 2].map(() => kit.activities.holdServerSlot({ subscriptionId: row.id })));
    assert.deepEqual(held, [{ serverId: server.id }, { serverId: server.id }]);
    assert.equal((await getSubscription(kit.pool, row.id))?.server_slot_held, true);
    assert.equal((await getServer(kit.pool, server.id))?.current_users, usersAfterExpiry + 1, 'one slot, however often');
  });
});

describe('grantTrial', () => {
  it('starts the trial once per user, even across subscriptions and concurrent calls', async () => {
    const user = await newUser(kit.pool);
    const [a, b] = [await newSubscription(kit.pool, user.id), await newSubscription(kit.pool, user.id)];
    const results = await Promise.all([
      kit.activities.grantTrial({ subscriptionId: a.id, days: 3 }),
      kit.activities.grantTrial({ subscriptionId: b.id, days: 3 }),
      kit.activities.grantTrial({ subscriptionId: a.id, days: 3 }),
    ]);
    const applied = results.filter((result) => result.applied);
    assert.equal(new Set(applied.map((result) => result.snapshot.subscriptionId)).size, 1, 'one subscription got the trial');
    assert.ok(
      applied.every((result) => result.snapshot.endsAt === applied[0]?.snapshot.endsAt),
      'retries answer with the recorded trial',
    );
    const granted = applied[0]?.snapshot;
    assert.equal(granted?.status, 'active');
    assert.ok(Math.abs(endMs(granted?.endsAt ?? null) - (Date.now() + 3 * DAY_MS)) < 60_000);
    const other = granted?.subscriptionId === a.id ? b : a;
    assert.equal((await getSubscription(kit.pool, other.id))?.status, 'pending');
    assert.notEqual((await getUserById(kit.pool, user.id))?.trial_used_at, null);
    assert.equal((await kit.activities.grantTrial({ subscriptionId: other.id, days: 3 })).applied, false);
  });

  it('starts a trial of `seconds` when given (benches), once, and rejects a bad length', async () => {
    const row = await newSubscription(kit.pool);
    await assert.rejects(kit.activities.grantTrial({ subscriptionId: row.id, days: 3, seconds: 0 }), failureOf('INVALID_INPUT'));
    const before = Date.now();
    const first = await kit.activities.grantTrial({ subscriptionId: row.id, days: 3, seconds: 90 });
    assert.equal(first.applied, true);
    assert.ok(Math.abs(endMs(first.snapshot.endsAt) - (before + 90_000)) < 10_000);
    assert.deepEqual(await kit.activities.grantTrial({ subscriptionId: row.id, days: 3, seconds: 90 }), first);
  });

  it('gives a cancelled subscription nothing and keeps the trial available; rejects bad lengths', async () => {
    const row = await newSubscription(kit.pool);
    await kit.activities.markCancelled({ subscriptionId: row.id, actor: operator });
    assert.equal((await kit.activities.grantTrial({ subscriptionId: row.id, days: 3 })).applied, false);
    assert.equal((await getUserById(kit.pool, row.user_id))?.trial_used_at, null);
    await assert.rejects(kit.activities.grantTrial({ subscriptionId: row.id, days: 0 }), failureOf('INVALID_INPUT'));
  });
});

describe('extendPeriod', () => {
  it('extends by N days once per request id, attributed to the operator', async () => {
    const row = await newActiveSubscription(kit.pool, { planId: kit.monthPlan.id });
    const before = row.end_date?.getTime() ?? 0;
    const first = await Promise.all(
      [1, 2, 3].map(() => kit.activities.extendPeriod({ subscriptionId: row.id, days: 7, requestId: 'req-1', actor: operator })),
    );
    assert.equal(first.filter((result) => result.applied).length, 3, 'the extension is in effect for every retry');
    assert.ok(
      first.every((result) => endMs(result.snapshot.endsAt) === before + 7 * DAY_MS),
      'extended once, the same answer on every retry',
    );
    assert.equal(endMs((await getSubscription(kit.pool, row.id))?.end_date?.toISOString() ?? null), before + 7 * DAY_MS);
    const second = await kit.activities.extendPeriod({ subscriptionId: row.id, days: 7, requestId: 'req-2', actor: operator });
    assert.equal(second.applied, true);
    assert.equal(endMs(second.snapshot.endsAt), before + 14 * DAY_MS);
    const audit = (await listAuditLogs(kit.pool, { entityType: 'subscription', entityId: row.id })).filter(
      (entry) => entry.action === 'subscription.extended',
    );
    assert.deepEqual(audit.map((entry) => [entry.actor, entry.actor_id]).slice(-2), [
      ['operator', '777'],
      ['operator', '777'],
    ]);
  });

  it('refuses a cancelled subscription and a non-positive length', async () => {
    const row = await newActiveSubscription(kit.pool);
    await kit.activities.markCancelled({ subscriptionId: row.id, actor: operator });
    assert.equal((await kit.activities.extendPeriod({ subscriptionId: row.id, days: 7, requestId: 'r', actor: operator })).applied, false);
    await assert.rejects(
      kit.activities.extendPeriod({ subscriptionId: row.id, days: -1, requestId: 'r2', actor: operator }),
      failureOf('INVALID_INPUT'),
    );
  });
});

describe('markExpired and markCancelled', () => {
  it('expires only after end_date and gives the server slot back once', async () => {
    await newServer(kit.pool);
    const row = await newActiveSubscription(kit.pool);
    const { server } = await claimServerSlot(kit.pool, { subscriptionId: row.id, actor: testActor });
    const usersBefore = (await getServer(kit.pool, server.id))?.current_users ?? -1;
    // A timer for an earlier end (the period was renewed since) expires nothing.
    const early = await kit.activities.markExpired({
      subscriptionId: row.id,
      endsAt: new Date((row.end_date?.getTime() ?? 0) - DAY_MS).toISOString(),
    });
    assert.deepEqual([early.changed, early.snapshot.status], [false, 'active']);

    await kit.pool.query(
      sql.unsafe`UPDATE subscriptions SET start_date = now() - interval '31 days', end_date = now() - interval '1 minute' WHERE id = ${row.id}`,
    );
    const endsAt = (await getSubscription(kit.pool, row.id))?.end_date?.toISOString() ?? '';
    const results = await Promise.all([
      kit.activities.markExpired({ subscriptionId: row.id, endsAt }),
      kit.activities.markExpired({ subscriptionId: row.id, endsAt }),
    ]);
    assert.equal(results.filter((result) => result.changed).length, 2, 'the expiry is in effect for both calls');
    assert.ok(results.every((result) => result.snapshot.status === 'expired' && result.snapshot.serverId === server.id));
    assert.equal((await getSubscription(kit.pool, row.id))?.server_slot_held, false);
    assert.equal((await getServer(kit.pool, server.id))?.current_users, usersBefore - 1);
    assert.equal(await countAuditLogs(kit.pool, { action: 'server.slot_released', entityId: row.id }), 1);
  });

  it("expires on the workflow timer's end even while the database clock is still before it (skew)", async () => {
    await newServer(kit.pool);
    const row = await newActiveSubscription(kit.pool);
    await claimServerSlot(kit.pool, { subscriptionId: row.id, actor: testActor });
    // The workflow's timer fired for an end the database clock has not reached yet (a few seconds of skew).
    await kit.pool.query(
      sql.unsafe`UPDATE subscriptions SET start_date = now() - interval '30 days', end_date = now() + interval '5 seconds' WHERE id = ${row.id}`,
    );
    const endsAt = (await getSubscription(kit.pool, row.id))?.end_date?.toISOString() ?? '';
    const expired = await kit.activities.markExpired({ subscriptionId: row.id, endsAt });
    assert.deepEqual([expired.changed, expired.snapshot.status], [true, 'expired']);
    assert.equal((await getSubscription(kit.pool, row.id))?.server_slot_held, false, 'the slot is given back');
  });

  it('cancels pending or active subscriptions once, releasing the slot', async () => {
    await newServer(kit.pool);
    const row = await newActiveSubscription(kit.pool);
    const { server } = await claimServerSlot(kit.pool, { subscriptionId: row.id, actor: testActor });
    const before = (await getServer(kit.pool, server.id))?.current_users ?? -1;
    const first = await kit.activities.markCancelled({ subscriptionId: row.id, actor: operator });
    const second = await kit.activities.markCancelled({ subscriptionId: row.id, actor: operator });
    assert.deepEqual(
      [first.changed, second.changed, second.snapshot.status],
      [true, true, 'cancelled'],
      'the cancellation is in effect for every retry',
    );
    assert.equal(await countAuditLogs(kit.pool, { action: 'subscription.cancelled', entityId: row.id }), 1);
    assert.equal((await getServer(kit.pool, server.id))?.current_users, before - 1);
  });
});
