/**
 * The Stars reconciler's activity and the charge decision on a real database, with a stub Bot API
 * (a transaction list we control) and a stub Temporal client that records the settlements it is
 * asked to start: which charges get stored, where the cursor stops, and that a charge an older
 * bot already applied is recognised quietly instead of being applied again or refunded, and that
 * a refund Telegram refuses for good is left unresolved while an outage is retried.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { GrammyError } from 'grammy';
import { createLogger } from '../lib/logger';
import type { StarsBotApi } from '../lib/payments/stars/star-transactions';
import { starsInvoicePayload } from '../lib/payments/stars/stars-payload';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { createPayment, markPaymentCompleted, setPaymentExternalId } from '../sql/repositories/payments-repository';
import { getStarsChargeByChargeId, getStarsReconcileOffset, recordStarsCharge } from '../sql/repositories/stars-charges-repository';
import { newSubscription, newUser, testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createStarsChargeActivities } from './stars-charge-activities';
import { createStarsReconcileActivities } from './stars-reconcile-activities';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database?.drop();
});

const now = () => Math.floor(Date.now() / 1000);
const payment = (id: string, userId: number, payload: string, amount: number, date: number) => ({
  id,
  amount,
  date,
  source: {
    type: 'user',
    transaction_type: 'invoice_payment',
    user: { id: userId, is_bot: false, first_name: 'U' },
    invoice_payload: payload,
  },
});

function stubs(transactions: Record<string, unknown>[]) {
  const started: string[] = [];
  const api: StarsBotApi = {
    refundStarPayment: async () => true,
    getStarTransactions: async (other = {}) => ({
      transactions: transactions.slice(other.offset ?? 0, (other.offset ?? 0) + (other.limit ?? 100)),
    }),
  };
  const client = {
    workflow: { start: async (_type: string, options: { workflowId: string }) => void started.push(options.workflowId) },
  } as unknown as Client;
  const activities = createStarsReconcileActivities({
    db: database.pool,
    logger: createLogger({ level: 'silent' }),
    starsApi: api,
    payments: { providers: { byName: {}, forMethod: () => undefined }, temporal: { client, taskQueue: 'q' }, returnUrl: 'https://t.me/x' },
  });
  return { started, activities };
}

describe('reconcileStarTransactions', () => {
  it('stores what the bot missed, leaves fresh charges to the bot, keeps the cursor before them, and starts every unsettled settlement', async () => {
    const transactions = [
      payment('stx-known', 9001, 'order:1', 10, now() - 600),
      payment('stx-lost', 9002, 'order:2', 20, now() - 600),
      { id: 'wd-1', amount: 100, date: now() - 500, receiver: { type: 'fragment' } },
      payment('stx-fresh', 9003, 'order:3', 30, now() + 3600),
      payment('stx-refunded', 9004, 'order:4', 40, now() - 400),
      {
        id: 'stx-refunded',
        amount: 40,
        date: now() - 300,
        receiver: { type: 'user', transaction_type: 'invoice_payment', user: { id: 9004 } },
      },
    ];
    const { charge: known } = await recordStarsCharge(database.pool, {
      telegramPaymentChargeId: 'stx-known',
      telegramUserId: 9001,
      invoicePayload: 'order:1',
      currency: 'XTR',
      totalAmount: 10,
      raw: {},
      recordedBy: 'bot',
      orderId: 1,
    });
    // Stored by the bot ten minutes ago, but its settlement never ran (Temporal was unreachable).
    await database.pool.query(sql.unsafe`UPDATE stars_charges SET received_at = now() - interval '10 minutes' WHERE id = ${known.id}`);
    const { started, activities } = stubs(transactions);
    const result = await activities.reconcileStarTransactions({ settleAfterSeconds: 60 });

    const lost = await getStarsChargeByChargeId(database.pool, 'stx-lost');
    const refunded = await getStarsChargeByChargeId(database.pool, 'stx-refunded');
    assert.ok(lost && refunded);
    assert.deepEqual(
      [lost.recorded_by, lost.status, lost.telegram_user_id, lost.invoice_payload, lost.total_amount],
      ['reconciler', 'received', 9002, 'order:2', 20],
    );
    assert.equal(refunded.raw['refunded_in_list'], true);
    assert.equal(await getStarsChargeByChargeId(database.pool, 'stx-fresh'), null, 'a fresh charge is left to the bot');
    assert.deepEqual(result.recorded.sort(), [lost.id, refunded.id].sort());
    assert.equal(await getStarsReconcileOffset(database.pool), 3, 'the cursor stops before the fresh charge');
    assert.deepEqual(
      started.sort(),
      [`stars-charge-${known.id}`, `stars-charge-${lost.id}`, `stars-charge-${refunded.id}`].sort(),
      'the known but unsettled charge too',
    );

    // Once it is old enough, the next pass (from the cursor) stores it.
    const later = await stubs(transactions).activities.reconcileStarTransactions({ settleAfterSeconds: -7200 });
    const fresh = await getStarsChargeByChargeId(database.pool, 'stx-fresh');
    assert.ok(fresh);
    assert.deepEqual(later.recorded, [fresh.id]);
    assert.equal(await getStarsReconcileOffset(database.pool), transactions.length);
  });
});

describe('decideStarsCharge on a charge an older bot already applied', () => {
  it('marks it applied quietly: no second completion, no hand-off, no refund', async () => {
    const user = await newUser(database.pool);
    const subscription = await newSubscription(database.pool, user.id);
    const { payment: order } = await createPayment(database.pool, {
      userId: user.id,
      subscriptionId: subscription.id,
      amount: '139.00',
      currency: 'XTR',
      method: 'stars',
      provider: 'telegram_stars',
      actor: testActor,
    });
    await setPaymentExternalId(database.pool, { paymentId: order.id, externalId: 'stx-legacy', actor: testActor });
    await markPaymentCompleted(database.pool, { paymentId: order.id, actor: testActor });
    const { charge } = await recordStarsCharge(database.pool, {
      telegramPaymentChargeId: 'stx-legacy',
      telegramUserId: user.telegram_id,
      invoicePayload: starsInvoicePayload(order.id),
      currency: 'XTR',
      totalAmount: 139,
      raw: {},
      recordedBy: 'reconciler',
      orderId: order.id,
    });
    const activities = createStarsChargeActivities({
      db: database.pool,
      logger: createLogger({ level: 'silent' }),
      deliver: async () => {
        throw new Error('nothing to tell');
      },
    });
    const state = await activities.decideStarsCharge({ chargeId: charge.id });
    assert.deepEqual([state.status, state.reason, state.handedOff, state.paymentId], ['applied', 'already-applied', true, order.id]);
    assert.deepEqual(await activities.decideStarsCharge({ chargeId: charge.id }), state, 'a retry answers the same');
    assert.equal((await activities.refundStarsCharge({ chargeId: charge.id })).status, 'applied', 'an applied charge is never refunded');
  });
});

describe('refundStarsCharge', () => {
  it('leaves a charge Telegram refuses to refund (400) unresolved and audited, and retries an outage', async () => {
    const { charge } = await recordStarsCharge(database.pool, {
      telegramPaymentChargeId: 'stx-gone',
      telegramUserId: 777_001,
      invoicePayload: 'not-ours',
      currency: 'XTR',
      totalAmount: 5,
      raw: {},
      recordedBy: 'reconciler',
      orderId: null,
    });
    let answer: GrammyError = new GrammyError('x', { ok: false, error_code: 502, description: 'Bad Gateway' }, 'refundStarPayment', {});
    const activities = createStarsChargeActivities({
      db: database.pool,
      logger: createLogger({ level: 'silent' }),
      starsApi: {
        refundStarPayment: async () => {
          throw answer;
        },
        getStarTransactions: async () => ({ transactions: [] }),
      },
      deliver: async () => ({ sent: true, duplicate: false }),
    });
    const decided = await activities.decideStarsCharge({ chargeId: charge.id });
    assert.deepEqual([decided.status, decided.reason], ['refunding', 'unknown-order']);
    await assert.rejects(
      activities.refundStarsCharge({ chargeId: charge.id }),
      (error: unknown) => (error as { type?: string }).type === 'TELEGRAM_UNAVAILABLE',
    );
    assert.equal((await getStarsChargeByChargeId(database.pool, 'stx-gone'))?.status, 'refunding', 'an outage changes nothing');

    answer = new GrammyError('x', { ok: false, error_code: 400, description: 'Bad Request: CHARGE_NOT_FOUND' }, 'refundStarPayment', {});
    const state = await activities.refundStarsCharge({ chargeId: charge.id });
    assert.deepEqual([state.status, state.reason], ['unresolved', 'refund-refused:CHARGE_NOT_FOUND']);
    assert.deepEqual(await activities.refundStarsCharge({ chargeId: charge.id }), state, 'a retry answers the same');
    assert.equal(await countAuditLogs(database.pool, { action: 'stars_charge.unresolved', entityId: charge.id }), 1);
  });
});
