import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type DatabasePool } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs, listAuditLogs } from './audit-repository';
import { listActivePlans } from './plans-repository';
import {
  cancelSubscription,
  extendSubscriptionByDays,
  extendSubscriptionWithPayment,
  getSubscriptionBySubToken,
  listUserSubscriptions,
  lockSubscription,
  markSubscriptionExpired,
  rotateSubToken,
  setSubscriptionClient,
} from './subscriptions-repository';
import { createPayment, getPaymentByIdempotencyKey } from './payments-repository';
import { newPayment, newSubscription, newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;
const DAY_MS = 86_400_000;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
});
after(async () => db.drop());

describe('plans (seeded)', () => {
  it('lists the four seed plans, cheapest first, with exact prices', async () => {
    const plans = await listActivePlans(pool);
    assert.deepEqual(
      plans.map((p) => [p.name, p.duration_days, p.price_rub]),
      [
        ['1 месяц', 30, '249.00'],
        ['3 месяца', 90, '599.00'],
        ['6 месяцев', 180, '1049.00'],
        ['12 месяцев', 365, '1999.00'],
      ],
    );
    assert.equal(plans[1]?.features?.discount, 20);
  });
});

describe('subscriptions', () => {
  it('starts pending with an unguessable sub token and no period', async () => {
    const subscription = await newSubscription(pool);
    assert.equal(subscription.status, 'pending');
    assert.equal(subscription.start_date, null);
    assert.match(subscription.sub_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await getSubscriptionBySubToken(pool, subscription.sub_token))?.id, subscription.id);
    assert.equal(await getSubscriptionBySubToken(pool, 'nope'), null);
  });

  it('applies a payment once: activates a pending subscription for N days from now', async () => {
    const user = await newUser(pool);
    const subscription = await newSubscription(pool, user.id);
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        extendSubscriptionWithPayment(pool, { subscriptionId: subscription.id, paymentId: payment.id, days: 30, actor: testActor }),
      ),
    );
    assert.equal(results.filter((r) => r.applied).length, 1);
    const [current] = await listUserSubscriptions(pool, user.id);
    assert.equal(current?.status, 'active');
    const length = (current?.end_date?.getTime() ?? 0) - (current?.start_date?.getTime() ?? 0);
    assert.equal(length, 30 * DAY_MS);
    assert.equal(await countAuditLogs(pool, { action: 'subscription.extended', entityId: subscription.id }), 1);
  });

  it('extends an active subscription from its end, and refuses payments not completed or for another subscription', async () => {
    const user = await newUser(pool);
    const subscription = await newSubscription(pool, user.id);
    const first = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    const { subscription: active } = await extendSubscriptionWithPayment(pool, {
      subscriptionId: subscription.id,
      paymentId: first.id,
      days: 30,
      actor: testActor,
    });
    const renewal = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    const { subscription: renewed } = await extendSubscriptionWithPayment(pool, {
      subscriptionId: subscription.id,
      paymentId: renewal.id,
      days: 90,
      actor: testActor,
    });
    assert.equal((renewed.end_date?.getTime() ?? 0) - (active.end_date?.getTime() ?? 0), 90 * DAY_MS);
    assert.deepEqual(renewed.start_date, active.start_date);

    const pending = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id });
    assert.equal(
      (await extendSubscriptionWithPayment(pool, { subscriptionId: subscription.id, paymentId: pending.id, days: 30, actor: testActor }))
        .applied,
      false,
    );
    const elsewhere = await newPayment(pool, { userId: user.id, subscriptionId: null, completed: true });
    assert.equal(
      (await extendSubscriptionWithPayment(pool, { subscriptionId: subscription.id, paymentId: elsewhere.id, days: 30, actor: testActor }))
        .applied,
      false,
    );
    await assert.rejects(
      extendSubscriptionWithPayment(pool, { subscriptionId: subscription.id, paymentId: renewal.id, days: 0, actor: testActor }),
      RangeError,
    );
  });

  it('expires only after end_date, and cancels pending or active ones', async () => {
    const user = await newUser(pool);
    const subscription = await newSubscription(pool, user.id);
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    await extendSubscriptionWithPayment(pool, { subscriptionId: subscription.id, paymentId: payment.id, days: 30, actor: testActor });
    assert.equal((await markSubscriptionExpired(pool, { subscriptionId: subscription.id, actor: testActor })).changed, false);
    await pool.query(
      sql.unsafe`UPDATE subscriptions SET start_date = now() - interval '31 days', end_date = now() - interval '1 day' WHERE id = ${subscription.id}`,
    );
    const expired = await markSubscriptionExpired(pool, { subscriptionId: subscription.id, actor: testActor });
    assert.equal(expired.changed, true);
    assert.equal(expired.subscription.status, 'expired');
    assert.equal((await cancelSubscription(pool, { subscriptionId: subscription.id, actor: testActor })).changed, false);
    const other = await newSubscription(pool, user.id);
    assert.equal((await cancelSubscription(pool, { subscriptionId: other.id, actor: testActor })).subscription.status, 'cancelled');
    const late = await newPayment(pool, { userId: user.id, subscriptionId: other.id, completed: true });
    assert.equal(
      (await extendSubscriptionWithPayment(pool, { subscriptionId: other.id, paymentId: late.id, days: 30, actor: testActor })).applied,
      false,
    );
  });

  it('records the 3X-UI client identity and rotates the sub token', async () => {
    const subscription = await newSubscription(pool);
    const uuid = randomUUID();
    const withClient = await setSubscriptionClient(pool, {
      subscriptionId: subscription.id,
      xuiClientUuid: uuid,
      xuiEmail: `sub-${subscription.id}`,
      xuiSubId: `s${subscription.id}`,
      xuiInboundId: 3,
      vpnKey: `vless://${uuid}@host:443`,
      qrCode: null,
      actor: testActor,
    });
    assert.equal(withClient.xui_client_uuid, uuid);
    assert.equal(withClient.xui_inbound_id, 3);
    const rotated = await rotateSubToken(pool, { subscriptionId: subscription.id, actor: testActor });
    assert.notEqual(rotated.sub_token, subscription.sub_token);
    assert.equal(await getSubscriptionBySubToken(pool, subscription.sub_token), null);
  });
});

describe('extensions without a payment', () => {
  it('extends by days once per request key, from now when pending and from end_date when active', async () => {
    const subscription = await newSubscription(pool);
    const input = { subscriptionId: subscription.id, days: 3, requestKey: 'trial:test', reason: 'trial', actor: testActor } as const;
    const results = await Promise.all(Array.from({ length: 5 }, () => extendSubscriptionByDays(pool, input)));
    assert.equal(results.filter((r) => r.applied).length, 1);
    const started = results.find((r) => r.applied)?.subscription;
    assert.equal(started?.status, 'active');
    assert.equal((started?.end_date?.getTime() ?? 0) - (started?.start_date?.getTime() ?? 0), 3 * DAY_MS);

    const { applied, subscription: extended } = await extendSubscriptionByDays(pool, {
      ...input,
      days: 7,
      requestKey: 'extend:op-1',
      reason: 'operator',
    });
    assert.equal(applied, true);
    assert.equal((extended.end_date?.getTime() ?? 0) - (started?.end_date?.getTime() ?? 0), 7 * DAY_MS);
    const audit = (await listAuditLogs(pool, { entityType: 'subscription', entityId: subscription.id })).filter(
      (row) => row.action === 'subscription.extended',
    );
    assert.deepEqual(
      audit.map((row) => (row.details as { request_key: string; reason: string }).request_key),
      ['trial:test', 'extend:op-1'],
    );
  });

  it('leaves a cancelled subscription alone and rejects bad input', async () => {
    const subscription = await newSubscription(pool);
    await cancelSubscription(pool, { subscriptionId: subscription.id, actor: testActor });
    const input = { subscriptionId: subscription.id, days: 3, requestKey: 'k', reason: 'operator', actor: testActor } as const;
    assert.equal((await extendSubscriptionByDays(pool, input)).applied, false);
    await assert.rejects(extendSubscriptionByDays(pool, { ...input, days: 0 }), RangeError);
    await assert.rejects(extendSubscriptionByDays(pool, { ...input, requestKey: '' }), RangeError);
    await assert.rejects(extendSubscriptionByDays(pool, { ...input, subscriptionId: 987_654 }), { code: 'NOT_FOUND' });
    await assert.rejects(
      pool.transaction((tx) => lockSubscription(tx, 987_654)),
      { code: 'NOT_FOUND' },
    );
  });

  it('finds a payment by its idempotency key', async () => {
    const user = await newUser(pool);
    const { payment } = await createPayment(pool, {
      userId: user.id,
      subscriptionId: null,
      amount: '10.00',
      method: 'balance',
      provider: 'balance',
      idempotencyKey: `k:${user.id}`,
      actor: testActor,
    });
    assert.equal((await getPaymentByIdempotencyKey(pool, `k:${user.id}`))?.id, payment.id);
    assert.equal(await getPaymentByIdempotencyKey(pool, 'missing'), null);
  });
});
