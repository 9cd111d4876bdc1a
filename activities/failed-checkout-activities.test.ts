/**
 * The failed-checkout message on a real (seeded) test database, with a recording Telegram sender:
 * the user's language, the plan's name in it, Buy or Renew, once per payment.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createLogger } from '../lib/logger';
import { markPaymentCancelled, markPaymentFailed } from '../sql/repositories/payments-repository';
import { setUserLanguage } from '../sql/repositories/users-repository';
import { createPendingSubscription } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, newPayment, newUser, testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createFailedCheckoutActivities } from './failed-checkout-activities';
import { createNotificationDelivery } from './notify-activities';
import { TelegramBlockedError, type TelegramSender } from './telegram-sender';

let database: TestDatabase;
let pool: DatabasePool;
let planId: number;
const sent: Array<{ chatId: number; text: string }> = [];
let blocked = false;
const telegram: TelegramSender = {
  async sendText(chatId, text) {
    if (blocked) throw new TelegramBlockedError('sendMessage');
    return { messageId: sent.push({ chatId, text }) };
  },
  async sendPhoto() {
    throw new Error('no photos here');
  },
};

before(async () => {
  database = await createTestDatabase({ seed: true });
  pool = database.pool;
  planId = await pool.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = '1 месяц'`);
});
after(async () => database.drop());
beforeEach(() => {
  sent.length = 0;
  blocked = false;
});

function activities() {
  const logger = createLogger({ level: 'silent' });
  return createFailedCheckoutActivities({
    db: pool,
    logger,
    deliver: createNotificationDelivery({ db: pool, logger, telegram, publicBaseUrl: 'https://vpn.example' }),
  });
}

/** A new order of the '1 месяц' plan by a user speaking `language`. */
async function order(language: string | null) {
  const user = await newUser(pool);
  if (language !== null) await setUserLanguage(pool, { userId: user.id, languageCode: language, actor: testActor });
  const subscription = await createPendingSubscription(pool, { userId: user.id, planId, actor: testActor });
  const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id });
  return { user, payment };
}

describe('notifyFailedCheckout', () => {
  it('tells an English user once that the order was not paid in time, with the plan in English and Buy', async () => {
    const { user, payment } = await order('en');
    await markPaymentCancelled(pool, { paymentId: payment.id, actor: testActor, reason: 'timeout' });
    const { notifyFailedCheckout } = activities();
    assert.deepEqual(await notifyFailedCheckout({ paymentId: payment.id, reason: 'expired' }), { sent: true });
    assert.deepEqual(await notifyFailedCheckout({ paymentId: payment.id, reason: 'expired' }), { sent: true });
    assert.deepEqual(sent, [
      {
        chatId: user.telegram_id,
        text: 'Your order “1 month” was not paid in time and is cancelled.\nNo money was taken.\nTo try again, open the main menu (/start) and press “Buy a subscription”.',
      },
    ]);
    const keys = await pool.anyFirst(sql.type(z.object({ idempotency_key: z.string() }))`
      SELECT idempotency_key FROM notifications WHERE user_id = ${user.id}`);
    assert.deepEqual(keys, [`payment-failed:${payment.id}`]);
  });

  it('tells a Russian user that the payment failed, in Russian', async () => {
    const { user, payment } = await order(null);
    await markPaymentFailed(pool, { paymentId: payment.id, actor: testActor, reason: 'provider-failed' });
    assert.deepEqual(await activities().notifyFailedCheckout({ paymentId: payment.id, reason: 'failed' }), { sent: true });
    assert.deepEqual(sent, [
      {
        chatId: user.telegram_id,
        text: 'Платёж за подписку «1 месяц» не прошёл, заказ не выполнен.\nДеньги не списаны.\nЧтобы попробовать ещё раз, откройте главное меню (/start) и нажмите «Купить подписку».',
      },
    ]);
  });

  it('points a renewal at Renew', async () => {
    const subscription = await newActiveSubscription(pool, { planId });
    const payment = await newPayment(pool, { userId: subscription.user_id, subscriptionId: subscription.id });
    await markPaymentCancelled(pool, { paymentId: payment.id, actor: testActor, reason: 'canceled' });
    assert.deepEqual(await activities().notifyFailedCheckout({ paymentId: payment.id, reason: 'cancelled' }), { sent: true });
    assert.equal(sent.length, 1);
    assert.equal(
      sent[0]?.text,
      'Платёж за подписку «1 месяц» отменён платёжным сервисом.\nДеньги не списаны.\nЧтобы попробовать ещё раз, нажмите «Продлить» (или /subscriptions → «Продлить»).',
    );
  });

  it('sends nothing for a payment that is still pending or completed, nor to a user who blocked the bot', async () => {
    const pending = await order(null);
    assert.deepEqual(await activities().notifyFailedCheckout({ paymentId: pending.payment.id, reason: 'expired' }), { sent: false });
    const user = await newUser(pool);
    const completed = await newPayment(pool, { userId: user.id, completed: true });
    assert.deepEqual(await activities().notifyFailedCheckout({ paymentId: completed.id, reason: 'failed' }), { sent: false });
    const gone = await order(null);
    await markPaymentCancelled(pool, { paymentId: gone.payment.id, actor: testActor, reason: 'timeout' });
    blocked = true;
    assert.deepEqual(await activities().notifyFailedCheckout({ paymentId: gone.payment.id, reason: 'expired' }), { sent: false });
    assert.deepEqual(sent, []);
  });
});
