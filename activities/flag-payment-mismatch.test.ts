/**
 * The mismatch flag and its report on a real test database, with a scripted Telegram sender and a
 * recording operator alert channel.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { DatabasePool } from 'slonik';
import { createLogger } from '../lib/logger';
import type { PaymentSnapshot } from '../lib/payments/payment-provider';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { markPaymentCancelled, markPaymentFailed, setPaymentExternalId } from '../sql/repositories/payments-repository';
import { newPayment, newUser, testActor } from '../test/support/db-fixtures';
import type { PaymentRow } from '../sql/schemas/payment-row';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import type { AlertInput } from './contracts/alert-activities';
import { createPaymentMismatchActivities, flagPaymentMismatch, paymentMismatchAlertKey } from './flag-payment-mismatch';
import { failureOf } from '../test/support/lifecycle-test-kit';
import { createNotificationDelivery } from './notify-activities';
import { TelegramBlockedError, TelegramUnavailableError, type TelegramSender } from './telegram-sender';

let database: TestDatabase;
let pool: DatabasePool;
const alerts: AlertInput[] = [];
const sent: Array<{ chatId: number; text: string }> = [];
let telegramFails: 'blocked' | 'unavailable' | null = null;
const telegram: TelegramSender = {
  async sendText(chatId, text) {
    if (telegramFails === 'blocked') throw new TelegramBlockedError('sendMessage');
    if (telegramFails === 'unavailable') throw new TelegramUnavailableError('sendMessage', 'connection refused');
    return { messageId: sent.push({ chatId, text }) };
  },
  async sendPhoto() {
    throw new Error('no photos here');
  },
};
const actor = { type: 'system', component: 'test' } as const;

before(async () => {
  database = await createTestDatabase();
  pool = database.pool;
});
after(async () => database.drop());
beforeEach(() => {
  alerts.length = 0;
  sent.length = 0;
  telegramFails = null;
});

function activities() {
  const logger = createLogger({ level: 'silent' });
  return createPaymentMismatchActivities({
    db: pool,
    logger,
    deliver: createNotificationDelivery({ db: pool, logger, telegram, publicBaseUrl: 'https://vpn.example' }),
    alertOperators: async (input) => {
      const duplicate = alerts.some((alert) => alert.key === input.key);
      alerts.push(input);
      return { sent: !duplicate, duplicate, suppressed: false };
    },
  });
}

async function paidWrongAmount(): Promise<{ payment: PaymentRow; telegramId: number }> {
  const user = await newUser(pool);
  const created = await newPayment(pool, { userId: user.id });
  const payment = await setPaymentExternalId(pool, { paymentId: created.id, externalId: `ext-${created.id}`, actor: testActor });
  return { payment, telegramId: user.telegram_id };
}

function wrongAmount(payment: PaymentRow): PaymentSnapshot {
  return { externalId: payment.external_id ?? '', status: 'succeeded', amountKopecks: 100n, currency: 'RUB', orderId: payment.id };
}

describe('payment mismatch', () => {
  it('flags once per payment, whatever retries ask again', async () => {
    const { payment } = await paidWrongAmount();
    const first = await flagPaymentMismatch(pool, { payment, snapshot: wrongAmount(payment), mismatches: ['amount'], actor });
    const again = await flagPaymentMismatch(pool, { payment: first, snapshot: wrongAmount(payment), mismatches: ['amount'], actor });
    assert.deepEqual([first.status, again.status], ['failed', 'failed']);
    assert.equal(await countAuditLogs(pool, { action: 'payment.mismatch_flagged', entityId: payment.id }), 1);
  });

  it('tells the operators and the user once; a retry gives the same answer and sends nothing again', async () => {
    const { payment, telegramId } = await paidWrongAmount();
    await flagPaymentMismatch(pool, { payment, snapshot: wrongAmount(payment), mismatches: ['amount'], actor });
    const { reportPaymentMismatch } = activities();
    assert.deepEqual(await reportPaymentMismatch({ paymentId: payment.id }), { reported: true });
    assert.deepEqual(await reportPaymentMismatch({ paymentId: payment.id }), { reported: true });
    assert.deepEqual(
      alerts.map((alert) => [alert.kind, alert.key, alert.paymentId, alert.userId]),
      Array(2).fill(['payment_mismatch', paymentMismatchAlertKey(payment.id), payment.id, payment.user_id]),
      'the same key both times: the alert channel delivers it once',
    );
    assert.match(
      alerts[0]?.summary ?? '',
      new RegExp(
        `^Payment ${payment.id} of user ${payment.user_id} \\(yookassa ext-${payment.id}\\).*\\(amount\\): expected 249\\.00 RUB, the provider reports 1\\.00 RUB for order ${payment.id}\\. It is failed`,
      ),
    );
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.chatId, telegramId);
    assert.match(
      sent[0]?.text ?? '',
      /^Мы получили платёж по заказу на 249 ₽, но он не совпадает с заказом.*\nПлатёж на проверке: поддержка свяжется с вами здесь/s,
    );
  });

  it('reports a late mismatched payment on a cancelled order too', async () => {
    const { payment } = await paidWrongAmount();
    const cancelled = (await markPaymentCancelled(pool, { paymentId: payment.id, actor: testActor, reason: 'timeout' })).payment;
    await flagPaymentMismatch(pool, { payment: cancelled, snapshot: wrongAmount(payment), mismatches: ['amount'], actor });
    assert.deepEqual(await activities().reportPaymentMismatch({ paymentId: payment.id }), { reported: true });
    assert.equal(alerts.length, 1);
    assert.equal(sent.length, 1);
  });

  it('reports nothing for a payment that failed or was cancelled for another reason', async () => {
    const { payment } = await paidWrongAmount();
    await markPaymentFailed(pool, { paymentId: payment.id, actor: testActor, reason: 'provider-rejected' });
    const other = await paidWrongAmount();
    await markPaymentCancelled(pool, { paymentId: other.payment.id, actor: testActor, reason: 'timeout' });
    const { reportPaymentMismatch } = activities();
    assert.deepEqual(await reportPaymentMismatch({ paymentId: payment.id }), { reported: false });
    assert.deepEqual(await reportPaymentMismatch({ paymentId: other.payment.id }), { reported: false });
    assert.deepEqual([alerts.length, sent.length], [0, 0]);
  });

  it('still alerts when the user blocked the bot; an unreachable Telegram is retried without a second message', async () => {
    const blocked = await paidWrongAmount();
    await flagPaymentMismatch(pool, { payment: blocked.payment, snapshot: wrongAmount(blocked.payment), mismatches: ['amount'], actor });
    telegramFails = 'blocked';
    const { reportPaymentMismatch } = activities();
    assert.deepEqual(await reportPaymentMismatch({ paymentId: blocked.payment.id }), { reported: true });
    assert.equal(alerts.length, 1);

    const down = await paidWrongAmount();
    await flagPaymentMismatch(pool, { payment: down.payment, snapshot: wrongAmount(down.payment), mismatches: ['amount'], actor });
    telegramFails = 'unavailable';
    await assert.rejects(reportPaymentMismatch({ paymentId: down.payment.id }), failureOf('TELEGRAM_UNAVAILABLE', false));
    telegramFails = null;
    assert.deepEqual(await reportPaymentMismatch({ paymentId: down.payment.id }), { reported: true });
    assert.equal(sent.filter((message) => message.chatId === down.telegramId).length, 1);
    assert.deepEqual(
      new Set(alerts.map((alert) => alert.key)),
      new Set([paymentMismatchAlertKey(blocked.payment.id), paymentMismatchAlertKey(down.payment.id)]),
    );
  });
});
