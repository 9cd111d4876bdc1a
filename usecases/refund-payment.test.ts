/**
 * Refunds by method on Postgres: a card payment goes back through the fake YooKassa's refunds API,
 * a Stars payment through refundStarPayment, a crypto one to the balance (the subscription
 * workflow's update, stubbed here); each is audited, ends the subscription and is told to the
 * user once, however often the operator repeats it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GrammyError } from 'grammy';
import { sql } from 'slonik';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { createPayment, getPayment, markPaymentCompleted, setPaymentExternalId } from '../sql/repositories/payments-repository';
import { recordStarsCharge } from '../sql/repositories/stars-charges-repository';
import { newActiveSubscription, newUser, testActor } from '../test/support/db-fixtures';
import { debitBalance, getBalance, getLedgerSum } from '../sql/repositories/ledger-repository';
import { createTopUp } from '../sql/repositories/top-ups-repository';
import { parseMoney } from '../lib/money';
import { getUserById } from '../sql/repositories/users-repository';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createYooKassaKit, order } from '../test/support/yookassa-test-kit';
import type { PaymentProvider } from '../lib/payments/payment-provider';
import type { FakeYooKassa } from '../fakes/yookassa';
import { createRefunds, type Refunds } from './refund-payment';

let db: TestDatabase;
let refunds: Refunds;
let fake: FakeYooKassa;
let provider: PaymentProvider;
const kit = createYooKassaKit();
const sent: { chatId: number; text: string }[] = [];
const operatorCalls: string[] = [];
const starsCalls: string[] = [];

before(async () => {
  db = await createTestDatabase({ seed: true });
  ({ fake, provider } = await kit.setup());
  refunds = createRefunds({
    db: db.pool,
    providers: { byName: { yookassa: provider }, forMethod: () => provider },
    starsApi: {
      async refundStarPayment(_userId, chargeId) {
        starsCalls.push(chargeId);
        if (starsCalls.filter((id) => id === chargeId).length > 1)
          throw new GrammyError(
            'x',
            { ok: false, error_code: 400, description: 'Bad Request: CHARGE_ALREADY_REFUNDED' },
            'refundStarPayment',
            {},
          );
        return true;
      },
    },
    operator: {
      async refund(request) {
        operatorCalls.push(`refund:${request.subscriptionId}:${request.paymentId}`);
        return { ok: true, value: { amountKopecks: '24900' } };
      },
      async cancel(request) {
        operatorCalls.push(`cancel:${request.subscriptionId}`);
        return { ok: true, value: { phase: 'cancelled' } };
      },
    },
    sendText: async (chatId, text) => {
      sent.push({ chatId, text });
      return { messageId: sent.length };
    },
  });
});
after(async () => {
  await kit.close();
  await db?.drop();
});

async function paid(method: 'card' | 'crypto' | 'stars', amount: string, currency = 'RUB') {
  const row = await newActiveSubscription(db.pool, { planId: 1 });
  const provider = method === 'card' ? 'yookassa' : method === 'crypto' ? 'cryptopay' : 'telegram_stars';
  const { payment } = await createPayment(db.pool, {
    userId: row.user_id,
    subscriptionId: row.id,
    amount,
    currency,
    method,
    provider,
    actor: testActor,
  });
  return { row, payment };
}

const request = (paymentId: number, n: number) => ({ paymentId, operatorTelegramId: 777, requestId: `tg-${paymentId}-${n}` });

describe('refundPayment by method', () => {
  it('card: refunded through YooKassa once, marked refunded, audited, subscription cancelled, user told once', async () => {
    const { row, payment } = await paid('card', '249.00');
    const invoice = await provider.createInvoice(order({ orderId: payment.id, amountKopecks: 24_900n, idempotencyKey: `o-${payment.id}` }));
    await setPaymentExternalId(db.pool, { paymentId: payment.id, externalId: invoice.externalId, actor: testActor });
    fake.controls.pay(invoice.externalId);
    await markPaymentCompleted(db.pool, { paymentId: payment.id, actor: testActor });

    const first = await refunds.refundPayment(request(payment.id, 1));
    const again = await refunds.refundPayment(request(payment.id, 2));
    assert.deepEqual(first, { kind: 'refunded', to: 'card', amount: '249.00', currency: 'RUB' });
    assert.deepEqual(again, first);
    const providerRefunds = [...fake.state.refunds.values()].filter((refund) => refund.payment_id === invoice.externalId);
    assert.equal(providerRefunds.length, 1, 'one refund at the provider (idempotency key per payment)');
    assert.equal(providerRefunds[0]?.amount.value, '249.00');
    assert.equal((await getPayment(db.pool, payment.id))?.status, 'refunded');
    assert.equal(await countAuditLogs(db.pool, { action: 'payment.refunded_to_card', entityId: payment.id }), 1);
    assert.ok(operatorCalls.includes(`cancel:${row.id}`));
    const told = sent.filter((message) => message.text.includes('249'));
    assert.equal(told.length, 1);
    assert.match(told[0]?.text ?? '', /^Мы вернули 249 ₽ за «1 месяц» на карту/);
  });

  it('card refund pending at YooKassa: nothing changes until it succeeds; a cancelled one can be asked for again', async () => {
    /** A completed card payment of a new active subscription, paid at the fake. */
    const paidCard = async () => {
      const { row, payment } = await paid('card', '249.00');
      const invoice = await provider.createInvoice(
        order({ orderId: payment.id, amountKopecks: 24_900n, idempotencyKey: `o-${payment.id}` }),
      );
      await setPaymentExternalId(db.pool, { paymentId: payment.id, externalId: invoice.externalId, actor: testActor });
      fake.controls.pay(invoice.externalId);
      await markPaymentCompleted(db.pool, { paymentId: payment.id, actor: testActor });
      return { row, payment, externalId: invoice.externalId };
    };
    const toldAbout = (chatId: number) => sent.filter((message) => message.chatId === chatId);
    fake.controls.holdRefunds(true);
    try {
      const { row, payment, externalId } = await paidCard();
      const chatId = (await getUserById(db.pool, row.user_id))?.telegram_id ?? 0;
      const first = await refunds.refundPayment(request(payment.id, 1));
      assert.equal(first.kind, 'pending');
      assert.ok(first.kind === 'pending');
      assert.deepEqual(await refunds.refundPayment(request(payment.id, 2)), first, 'asked again while pending: the same refund');
      assert.equal([...fake.state.refunds.values()].filter((refund) => refund.payment_id === externalId).length, 1, 'one refund asked for');
      assert.equal((await getPayment(db.pool, payment.id))?.status, 'completed', 'not marked refunded yet');
      assert.ok(!operatorCalls.includes(`cancel:${row.id}`), 'the subscription keeps running');
      assert.deepEqual(toldAbout(chatId), [], 'the user is not told of money not yet sent');
      assert.equal(await countAuditLogs(db.pool, { action: 'payment.refund_pending', entityId: payment.id }), 1);

      fake.controls.settleRefund(first.refundId, 'succeeded');
      const done = await refunds.refundPayment(request(payment.id, 3));
      assert.deepEqual(done, { kind: 'refunded', to: 'card', amount: '249.00', currency: 'RUB' });
      assert.deepEqual(await refunds.refundPayment(request(payment.id, 4)), done);
      assert.equal((await getPayment(db.pool, payment.id))?.status, 'refunded');
      assert.ok(operatorCalls.includes(`cancel:${row.id}`));
      assert.equal(toldAbout(chatId).length, 1, 'told once, when the money went back');

      const second = await paidCard();
      const pending = await refunds.refundPayment(request(second.payment.id, 1));
      assert.ok(pending.kind === 'pending');
      fake.controls.settleRefund(pending.refundId, 'canceled');
      const refused = await refunds.refundPayment(request(second.payment.id, 2));
      assert.deepEqual([refused.kind, refused.kind === 'refused' ? refused.reason : undefined], ['refused', 'provider-refused']);
      assert.equal((await getPayment(db.pool, second.payment.id))?.status, 'completed');
      fake.controls.holdRefunds(false);
      const again = await refunds.refundPayment(request(second.payment.id, 3));
      assert.deepEqual(again, { kind: 'refunded', to: 'card', amount: '249.00', currency: 'RUB' });
      assert.deepEqual(
        fake.controls.calls
          .filter(
            (call) =>
              call.method === 'POST' &&
              call.path === '/v3/refunds' &&
              call.idempotenceKey?.startsWith(`refund-payment-${second.payment.id}`),
          )
          .map((call) => call.idempotenceKey),
        [`refund-payment-${second.payment.id}`, `refund-payment-${second.payment.id}-2`],
        'a new attempt after the cancelled one has its own key',
      );
    } finally {
      fake.controls.holdRefunds(false);
    }
  });

  it('card top-up: back to the payer and taken off the balance once; refused once spent, or for a crypto top-up', async () => {
    /** A paid top-up of `amount` by `method`, credited through the payment's completion. */
    const topUp = async (method: 'card' | 'crypto', amount: string) => {
      const user = await newUser(db.pool);
      const { payment } = await createPayment(db.pool, {
        userId: user.id,
        subscriptionId: null,
        amount,
        method,
        provider: method === 'card' ? 'yookassa' : 'cryptopay',
        actor: testActor,
      });
      await createTopUp(db.pool, { userId: user.id, paymentId: payment.id, amount, actor: testActor });
      if (method === 'card') {
        const kopecks = parseMoney(amount);
        const invoice = await provider.createInvoice(
          order({ orderId: payment.id, amountKopecks: kopecks, idempotencyKey: `o-${payment.id}` }),
        );
        await setPaymentExternalId(db.pool, { paymentId: payment.id, externalId: invoice.externalId, actor: testActor });
        fake.controls.pay(invoice.externalId);
      }
      await markPaymentCompleted(db.pool, { paymentId: payment.id, actor: testActor });
      assert.equal(await getBalance(db.pool, user.id), amount, 'the completion credited the top-up');
      return { user, payment };
    };

    const { user, payment } = await topUp('card', '500.00');
    const first = await refunds.refundPayment(request(payment.id, 1));
    assert.deepEqual(first, { kind: 'refunded', to: 'card', amount: '500.00', currency: 'RUB' });
    assert.deepEqual(await refunds.refundPayment(request(payment.id, 2)), first);
    assert.equal(await getBalance(db.pool, user.id), '0.00', 'taken off the balance once');
    assert.equal(await getLedgerSum(db.pool, user.id), '0.00');
    const externalId = (await getPayment(db.pool, payment.id))?.external_id;
    assert.ok(externalId);
    assert.equal([...fake.state.refunds.values()].filter((refund) => refund.payment_id === externalId).length, 1, 'one refund at YooKassa');
    const told = sent.filter((message) => message.chatId === user.telegram_id);
    assert.deepEqual(
      told.map((message) => message.text),
      [
        'Мы вернули 500 ₽ на карту или счёт, с которого вы платили (банк зачисляет до нескольких дней).\nЭта сумма списана с баланса. Вопросы: /paysupport',
      ],
    );

    const spent = await topUp('card', '300.00');
    await debitBalance(db.pool, {
      userId: spent.user.id,
      amount: '100.00',
      reason: 'subscription_purchase',
      idempotencyKey: `spend-${spent.payment.id}`,
      actor: testActor,
    });
    assert.deepEqual(await refunds.refundPayment(request(spent.payment.id, 1)), {
      kind: 'refused',
      reason: 'top-up-not-refundable',
      message: 'the top-up was already spent',
    });
    assert.equal((await getPayment(db.pool, spent.payment.id))?.status, 'completed', 'nothing refunded');

    const crypto = await topUp('crypto', '200.00');
    const refused = await refunds.refundPayment(request(crypto.payment.id, 1));
    assert.equal(refused.kind === 'refused' ? refused.reason : refused.kind, 'top-up-not-refundable');
    assert.equal(await getBalance(db.pool, crypto.user.id), '200.00');
  });

  it('Stars: back to the payer through refundStarPayment (a repeat counts as done)', async () => {
    const { payment } = await paid('stars', '139.00', 'XTR');
    await markPaymentCompleted(db.pool, { paymentId: payment.id, actor: testActor });
    const { charge } = await recordStarsCharge(db.pool, {
      telegramPaymentChargeId: `charge-${payment.id}`,
      telegramUserId: 4242,
      invoicePayload: `p:${payment.id}`,
      currency: 'XTR',
      totalAmount: 139,
      raw: {},
      recordedBy: 'bot',
      orderId: payment.id,
    });
    await db.pool.query(sql.unsafe`UPDATE stars_charges SET status = 'applied', decided_at = now() WHERE id = ${charge.id}`);
    assert.deepEqual(await refunds.refundPayment(request(payment.id, 1)), {
      kind: 'refunded',
      to: 'stars',
      amount: '139.00',
      currency: 'XTR',
    });
    assert.deepEqual(
      await refunds.refundPayment(request(payment.id, 2)),
      { kind: 'refunded', to: 'stars', amount: '139.00', currency: 'XTR' },
      'a repeat (Telegram: CHARGE_ALREADY_REFUNDED) is done, not an error',
    );
    assert.deepEqual(starsCalls, [`charge-${payment.id}`, `charge-${payment.id}`]);
    assert.equal(await countAuditLogs(db.pool, { action: 'payment.refunded_to_stars', entityId: payment.id }), 1);
    assert.ok(sent.some((message) => message.text.startsWith('Мы вернули 139 Stars')));
  });

  it('crypto: to the balance through the subscription workflow; a pending payment is refused', async () => {
    const { row, payment } = await paid('crypto', '249.00');
    const pendingResult = await refunds.refundPayment(request(payment.id, 1));
    assert.deepEqual(pendingResult, { kind: 'refused', reason: 'not-completed' });
    await markPaymentCompleted(db.pool, { paymentId: payment.id, actor: testActor });
    assert.deepEqual(await refunds.refundPayment(request(payment.id, 2)), {
      kind: 'refunded',
      to: 'balance',
      amount: '249.00',
      currency: 'RUB',
    });
    assert.ok(operatorCalls.includes(`refund:${row.id}:${payment.id}`));
    assert.deepEqual(await refunds.refundPayment({ ...request(987_654, 1) }), { kind: 'refused', reason: 'not-found' });
  });
});
