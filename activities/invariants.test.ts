/**
 * The invariant checker on real Postgres and the fake 3X-UI panels: a clean database and a
 * healthy paid subscription pass; each kind of violation, made directly in the database or on a
 * panel, is reported for exactly the entity that breaks it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { createGift, getGiftByPayment, markGiftRedeemed } from '../sql/repositories/gifts-repository';
import { writeAuditLog } from '../sql/repositories/audit-repository';
import { releaseServerSlot } from '../sql/repositories/server-slots-repository';
import {
  cancelSubscription,
  createPendingSubscription,
  extendSubscriptionWithPayment,
  getSubscription,
} from '../sql/repositories/subscriptions-repository';
import { markPaymentCompleted } from '../sql/repositories/payments-repository';
import { newPayment, newUser, testActor } from '../test/support/db-fixtures';
import { startRealStack, type RealStack } from '../test/support/real-stack';
import { createActivities } from './create-activities';
import { checkInvariants, type InvariantKind, type InvariantReport } from './invariants';

describe('checkInvariants', () => {
  let stack: RealStack;
  let activities: ReturnType<typeof createActivities>;
  const check = () =>
    checkInvariants({ db: stack.database.pool, panels: stack.deps.panels, clientIdSalt: stack.deps.clientIdSalt }, { settleSeconds: 0 });
  const kindsFor = (report: InvariantReport, match: { subscriptionId?: number; paymentId?: number; userId?: number; serverId?: number }) =>
    [
      ...new Set(
        report.violations
          .filter((violation) => Object.entries(match).every(([key, value]) => violation[key as keyof typeof match] === value))
          .map((violation) => violation.kind),
      ),
    ].sort();

  before(async () => {
    stack = await startRealStack();
    activities = createActivities(stack.deps);
  });
  after(async () => {
    await stack?.close();
  });

  /** A paid, provisioned subscription whose user got the key, as the workflow leaves it. */
  async function healthy(options: { notify?: boolean; serverId?: number } = {}) {
    const pool = stack.database.pool;
    const user = await newUser(pool);
    const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    await activities.applyPayment({ subscriptionId: subscription.id, paymentId: payment.id });
    // The slot is claimed on the server it lived on: pretend it lived on the one asked for.
    await pool.query(sql.unsafe`UPDATE subscriptions SET server_id = ${options.serverId ?? stack.server.id} WHERE id = ${subscription.id}`);
    await activities.provisionClient({ subscriptionId: subscription.id });
    if (options.notify !== false) {
      await activities.notifyUser({
        userId: user.id,
        subscriptionId: subscription.id,
        kind: 'key_delivered',
        key: `key_delivered:${subscription.id}:test`,
        withQr: true,
      });
    }
    const row = await getSubscription(pool, subscription.id);
    assert.ok(row?.xui_email);
    return { user, subscription: row, payment };
  }

  async function panelOf(serverId: number) {
    return (await stack.deps.panels.getPanel(serverId)).client;
  }

  it('passes on a clean database', async () => {
    const report = await check();
    assert.deepEqual(report.violations, []);
    assert.equal(report.ok, true);
    assert.equal(report.checked.panels, 1);
  });

  it('passes with a healthy paid subscription and counts what it checked', async () => {
    await healthy();
    const report = await check();
    assert.deepEqual(report.violations, []);
    assert.equal(report.checked.activeSubscriptions, 1);
    assert.equal(report.checked.payments, 1);
  });

  it('reports a completed payment that was never applied', async () => {
    const user = await newUser(stack.database.pool);
    const subscription = await createPendingSubscription(stack.database.pool, { userId: user.id, planId: 1, actor: testActor });
    const payment = await newPayment(stack.database.pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    assert.deepEqual(kindsFor(await check(), { paymentId: payment.id }), ['payment_unapplied']);
    // A payment completed within the settle window is work in flight, not a violation.
    const settled = await checkInvariants(
      { db: stack.database.pool, panels: stack.deps.panels, clientIdSalt: stack.deps.clientIdSalt },
      { settleSeconds: 600 },
    );
    assert.deepEqual(kindsFor(settled, { paymentId: payment.id }), []);
  });

  it('does not report a paid gift waiting for its redeemer, and does once it is redeemed but never applied', async () => {
    const pool = stack.database.pool;
    const buyer = await newUser(pool);
    const order = await newPayment(pool, { userId: buyer.id });
    const gift = await createGift(pool, { buyerUserId: buyer.id, planId: 1, paymentId: order.id, actor: testActor });
    await markPaymentCompleted(pool, { paymentId: order.id, actor: testActor });
    assert.ok((await getGiftByPayment(pool, order.id))?.paid_at, 'completing the order marks the gift paid');
    assert.deepEqual(kindsFor(await check(), { paymentId: order.id }), []);
    const redeemer = await newUser(pool);
    const subscription = await createPendingSubscription(pool, { userId: redeemer.id, planId: 1, actor: testActor });
    await markGiftRedeemed(pool, {
      giftId: gift.id,
      userId: redeemer.id,
      subscriptionId: subscription.id,
      paymentId: order.id,
      actor: testActor,
    });
    assert.deepEqual(kindsFor(await check(), { paymentId: order.id }), ['payment_unapplied']);
  });

  it('reports a payment that moved the period twice, one marked applied without a period, and one of the wrong length', async () => {
    const pool = stack.database.pool;
    const twice = await healthy();
    await writeAuditLog(pool, {
      actor: testActor,
      action: 'subscription.extended',
      entityType: 'subscription',
      entityId: twice.subscription.id,
      details: { payment_id: twice.payment.id, days: 30 },
    });
    const missing = await newPayment(pool, { userId: twice.user.id, subscriptionId: twice.subscription.id, completed: true });
    await pool.query(sql.unsafe`UPDATE payments SET applied_at = now() WHERE id = ${missing.id}`);
    const wrong = await newPayment(pool, { userId: twice.user.id, subscriptionId: twice.subscription.id, completed: true });
    await extendSubscriptionWithPayment(pool, { subscriptionId: twice.subscription.id, paymentId: wrong.id, days: 7, actor: testActor });
    const report = await check();
    assert.deepEqual(kindsFor(report, { paymentId: twice.payment.id }), ['payment_applied_twice']);
    assert.deepEqual(kindsFor(report, { paymentId: missing.id }), ['payment_period_missing']);
    assert.deepEqual(kindsFor(report, { paymentId: wrong.id }), ['payment_period_wrong']);
  });

  it('reports an active subscription without a slot, and a cancelled one that kept its slot and live client', async () => {
    const pool = stack.database.pool;
    const noSlot = await healthy();
    await releaseServerSlot(pool, { subscriptionId: noSlot.subscription.id, actor: testActor });
    const leaked = await healthy();
    await cancelSubscription(pool, { subscriptionId: leaked.subscription.id, actor: testActor });
    const report = await check();
    assert.deepEqual(kindsFor(report, { subscriptionId: noSlot.subscription.id }), ['slot_not_held']);
    assert.deepEqual(kindsFor(report, { subscriptionId: leaked.subscription.id }), ['client_live_unpaid', 'slot_leaked']);
    await releaseServerSlot(pool, { subscriptionId: leaked.subscription.id, actor: testActor });
  });

  it('reports a server whose user count differs from the slots held on it', async () => {
    const pool = stack.database.pool;
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = current_users + 1 WHERE id = ${stack.server.id}`);
    try {
      assert.deepEqual(
        kindsFor(await check(), { serverId: stack.server.id }).filter((kind) => kind === 'slot_count_mismatch'),
        ['slot_count_mismatch'],
      );
    } finally {
      await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = current_users - 1 WHERE id = ${stack.server.id}`);
    }
  });

  it('reports a missing client, a disabled one and one whose expiry is not the end of the period', async () => {
    const panel = await panelOf(stack.server.id);
    const missing = await healthy();
    await panel.deleteClient(missing.subscription.xui_inbound_id ?? 1, missing.subscription.xui_email ?? '');
    const disabled = await healthy();
    const disabledClient = await panel.findClient(disabled.subscription.xui_inbound_id ?? 1, disabled.subscription.xui_email ?? '');
    assert.ok(disabledClient);
    await panel.updateClient(disabled.subscription.xui_inbound_id ?? 1, { ...disabledClient, enable: false });
    const early = await healthy();
    const earlyClient = await panel.findClient(early.subscription.xui_inbound_id ?? 1, early.subscription.xui_email ?? '');
    assert.ok(earlyClient);
    await panel.updateClient(early.subscription.xui_inbound_id ?? 1, { ...earlyClient, expiryTime: earlyClient.expiryTime - 86_400_000 });
    const report = await check();
    assert.deepEqual(kindsFor(report, { subscriptionId: missing.subscription.id }), ['client_missing']);
    assert.deepEqual(kindsFor(report, { subscriptionId: disabled.subscription.id }), ['client_missing']);
    assert.deepEqual(kindsFor(report, { subscriptionId: early.subscription.id }), ['client_expiry_mismatch']);
  });

  it('reports a second live client on another server, and a panel it cannot read', async () => {
    const pool = stack.database.pool;
    const { server: other } = await stack.addServer('DE-1');
    const duplicated = await healthy();
    const panel = await panelOf(stack.server.id);
    const client = await panel.findClient(duplicated.subscription.xui_inbound_id ?? 1, duplicated.subscription.xui_email ?? '');
    assert.ok(client);
    await (await panelOf(other.id)).addClient(1, client);
    assert.deepEqual(kindsFor(await check(), { subscriptionId: duplicated.subscription.id }), ['client_duplicate']);

    const elsewhere = await healthy({ serverId: other.id });
    assert.equal(elsewhere.subscription.server_id, other.id);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET xui_panel_url = 'http://127.0.0.1:1' WHERE id = ${other.id}`);
    const report = await check();
    assert.deepEqual(kindsFor(report, { serverId: other.id }), ['panel_unreachable']);
    assert.deepEqual(kindsFor(report, { subscriptionId: elsewhere.subscription.id }), []);
  });

  it('reports a provisioned subscription whose user never got the key message', async () => {
    const silent = await healthy({ notify: false });
    assert.deepEqual(kindsFor(await check(), { subscriptionId: silent.subscription.id }), ['key_not_delivered']);
  });

  it('reports an active subscription past its end', async () => {
    const late = await healthy();
    await stack.database.pool.query(
      sql.unsafe`UPDATE subscriptions SET start_date = now() - interval '2 hours', end_date = now() - interval '1 hour' WHERE id = ${late.subscription.id}`,
    );
    assert.ok(kindsFor(await check(), { subscriptionId: late.subscription.id }).includes('subscription_overdue'));
  });

  it('reports a balance that is not the sum of the ledger, and a negative one', async () => {
    const pool = stack.database.pool;
    const drifted = await newUser(pool);
    const negative = await newUser(pool);
    // The database itself forbids both (a deferred trigger and a CHECK); an operator's manual fix
    // or a restored backup can still get there, so the checker must see it.
    await pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`SET LOCAL session_replication_role = replica`);
      await tx.query(sql.unsafe`UPDATE users SET balance = 10.00 WHERE id = ${drifted.id}`);
    });
    await pool.query(sql.unsafe`ALTER TABLE users DROP CONSTRAINT users_balance_not_negative`);
    await pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`SET LOCAL session_replication_role = replica`);
      await tx.query(sql.unsafe`UPDATE users SET balance = -5.00 WHERE id = ${negative.id}`);
    });
    const report = await check();
    assert.deepEqual(kindsFor(report, { userId: drifted.id }), ['balance_mismatch']);
    assert.deepEqual(kindsFor(report, { userId: negative.id }), ['balance_mismatch', 'balance_negative']);
    assert.equal(report.ok, false);
    const everyKind = new Set<InvariantKind>(report.violations.map((violation) => violation.kind));
    assert.ok(everyKind.size >= 10);
  });
});
