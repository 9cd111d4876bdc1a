/**
 * Purchases end to end on real servers: Postgres, the Temporal dev server, a worker running the
 * real payment workflow and activities (with a stub subscription workflow), the api's webhook
 * routes listening on loopback, and the fake YooKassa / Crypto Pay sending real webhooks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { sql } from 'slonik';
import { z } from 'zod';
import type { FakeCryptoPay } from '../../fakes/cryptopay';
import type { FakeYooKassa } from '../../fakes/yookassa';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { applyDiscount, parseMoney } from '../../lib/money';
import type { PaymentProviderName } from '../../lib/payments/payment-errors';
import type { PaymentProvider } from '../../lib/payments/payment-provider';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import type { PaymentWorkflowTarget } from '../../clients/payment-workflow-client';
import { createPurchaseService, type PurchaseService } from '../../usecases/start-purchase';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { creditBalance, getBalance } from '../../sql/repositories/ledger-repository';
import { getPayment } from '../../sql/repositories/payments-repository';
import { listBalanceMismatches, listSuspectPayments } from '../../sql/repositories/invariants-repository';
import { setUserLanguage } from '../../sql/repositories/users-repository';
import { newPromoCode, newUser, testActor } from '../support/db-fixtures';
import type { PaymentRow } from '../../sql/schemas/payment-row';
import { createWorker } from '../../workers/create-worker';
import { paymentWorkflowId, subscriptionWorkflowId } from '../../workflows/contract';
import { receivedBySubscription as receivedPaymentsOf } from '../support/received-payments';
import { maybeRecordHistory } from '../support/record-history';
import type { paymentReconcileWorkflow } from '../../workflows/payment-reconcile-workflow';
import type { PaymentState, paymentWorkflow } from '../../workflows/payment-workflow';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startFakeCardAndCryptoProviders } from '../support/fake-payment-providers';
import { createRecordingTelegram } from '../support/recording-telegram';
import { startWebhookApi } from '../support/webhook-api';
import { connectTestTemporal, eventually, type TestTemporal } from '../support/test-temporal';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../../workflows/subscription-lifecycle';

const TEST_WORKFLOWS = fileURLToPath(new URL('./payment-test-workflows.ts', import.meta.url));
const SHOP = { shopId: '123456', secretKey: 'test_s3cr3t-key' };
const CRYPTO_TOKEN = '12345:AAtesttoken';

let database: TestDatabase;
let temporal: TestTemporal;
let app: FastifyInstance;
let yookassa: FakeYooKassa;
let cryptopay: FakeCryptoPay;
let worker: Worker;
let running: Promise<void>;
let target: PaymentWorkflowTarget;
let purchases: PurchaseService;
let planId: number;
const byName: Partial<Record<PaymentProviderName, PaymentProvider>> = {};
/** Filled once the fakes run (their webhook URLs need the api's port first). */
const providers: PaymentProviders = { byName, forMethod: (method) => (method === 'crypto' ? byName.cryptopay : byName.yookassa) };
/** Messages the worker sent to users (a mismatch tells the user the payment is under review). */
const { telegram, sentTexts } = createRecordingTelegram();

before(async () => {
  database = await createTestDatabase({ seed: true });
  temporal = await connectTestTemporal();
  const taskQueue = temporal.uniqueTaskQueue('payments');
  target = { client: temporal.client, taskQueue, timeoutMinutes: 1 };
  planId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = '1 месяц'`);

  const api = await startWebhookApi({ db: database.pool, providers, target });
  app = api.app;
  const { apiUrl } = api;

  const fakes = await startFakeCardAndCryptoProviders({ apiUrl, shop: SHOP, cryptoToken: CRYPTO_TOKEN });
  ({ yookassa, cryptopay } = fakes);
  Object.assign(byName, fakes.byName);

  worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: {
      db: database.pool,
      logger: createLogger({ level: 'silent' }),
      panels: createPanelResolver({ db: database.pool, secretBox: createSecretBox(randomBytes(32)), timeoutMs: 1_000 }),
      clientIdSalt: 'integration-test-salt-0123',
      publicBaseUrl: apiUrl,
      telegram,
      referralBonusKopecks: null,
      lifecycle: DEFAULT_LIFECYCLE_SETTINGS,
      payments: { providers, temporal: { client: temporal.client, taskQueue }, returnUrl: `${apiUrl}/payments/return` },
    },
    overrides: { workflowsPath: TEST_WORKFLOWS },
  });
  running = worker.run();
  purchases = createPurchaseService({
    db: database.pool,
    payments: target,
    providers,
    starsKopecksPerStar: 'disabled',
    invoiceWaitMs: 30_000,
  });
});

after(async () => {
  worker?.shutdown();
  await running;
  await app?.close();
  await yookassa?.close();
  await cryptopay?.close();
  await temporal?.close();
  await database?.drop();
});

async function latestPayment(userId: number): Promise<PaymentRow> {
  const id = await database.pool.oneFirst(
    sql.type(z.object({ id: z.number() }))`SELECT max(id) AS id FROM payments WHERE user_id = ${userId}`,
  );
  const payment = await getPayment(database.pool, id);
  assert.ok(payment);
  return payment;
}

function paymentHandle(paymentId: number): WorkflowHandle<typeof paymentWorkflow> {
  return temporal.client.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(paymentId));
}

const receivedBySubscription = (subscriptionId: number) => receivedPaymentsOf(temporal.client, subscriptionId);

async function settledPayment(paymentId: number, status: PaymentRow['status']): Promise<PaymentRow> {
  return eventually(
    async () => {
      const row = await getPayment(database.pool, paymentId);
      return row?.status === status ? row : undefined;
    },
    20_000,
    `payment ${paymentId} ${status}`,
  );
}

describe('payments end to end', () => {
  it('YooKassa: purchase, webhook delivered three times → one completion, one paymentCompleted', async () => {
    const user = await newUser(database.pool);
    const start = await purchases.startPurchase({ userId: user.id, planId, method: 'card' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(start.kind === 'redirect' && start.url.startsWith(yookassa.url));
    assert.ok(payment.external_id);
    // The payment page names the plan in the payer's language (Russian: no language stored).
    assert.equal(yookassa.state.payments.get(payment.external_id)?.description, `VPN: 1 месяц, заказ ${payment.id}`);
    assert.deepEqual(
      yookassa.controls.calls.filter((call) => call.method === 'POST' && call.path === '/v3/payments').map((call) => call.idempotenceKey),
      [`payment-${payment.id}-attempt-1`],
    );
    const state = await paymentHandle(payment.id).query<PaymentState>('getPaymentState');
    assert.equal(state.confirmationUrl, start.url);

    assert.deepEqual(
      await purchases.startPurchase({ userId: user.id, planId, method: 'card' }),
      start,
      'a repeated purchase shows the same invoice',
    );

    yookassa.controls.pay(payment.external_id);
    const [first] = yookassa.controls.webhooks?.deliveries.slice(-1) ?? [];
    assert.ok(first);
    yookassa.controls.duplicate(first);
    yookassa.controls.duplicate(first);
    await settledPayment(payment.id, 'completed');
    const final = await paymentHandle(payment.id).result();
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-yookassa-webhook-thrice-completed');
    assert.equal(final.phase, 'completed');
    assert.equal(final.subscriptionNotified, true);
    await yookassa.controls.webhooks?.settled();
    assert.ok(payment.subscription_id);
    assert.deepEqual(await receivedBySubscription(payment.subscription_id), [payment.id]);
    // The hand-off started the subscription with the worker's lifecycle settings in its input, so
    // its first workflow task does not read them (one local activity fewer on the key path).
    const [started] =
      (await temporal.client.workflow.getHandle(subscriptionWorkflowId(payment.subscription_id)).fetchHistory()).events ?? [];
    const startInput = started?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    assert.ok(startInput);
    assert.deepEqual((JSON.parse(Buffer.from(startInput).toString('utf8')) as { settings?: unknown }).settings, DEFAULT_LIFECYCLE_SETTINGS);
    assert.equal(await countAuditLogs(database.pool, { action: 'payment.completed', entityId: payment.id }), 1);
    assert.deepEqual(
      sentTexts.filter((message) => message.chatId === user.telegram_id && message.text.includes('Деньги не списаны')),
      [],
      'a completed payment sends no failed-checkout message',
    );
    const inbox = await database.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM webhook_events WHERE provider = 'yookassa' AND event_key = ${`${payment.external_id}:payment.succeeded`}`);
    assert.equal(inbox, 1);
    assert.ok(yookassa.controls.webhooks?.deliveries.slice(-3).every((delivery) => delivery.state === 'delivered'));
    // The api answered before the hand-off; its dispatcher still processed every delivery it stored.
    const status = await eventually(
      async () => {
        const current = await database.pool.oneFirst(sql.type(z.object({ status: z.string() }))`
        SELECT status FROM webhook_events WHERE provider = 'yookassa' AND event_key = ${`${payment.external_id}:payment.succeeded`}`);
        return current === 'received' ? undefined : current;
      },
      10_000,
      'the inbox row processed',
    );
    assert.ok(['handed_off', 'settled'].includes(status), status);
  });

  it('top-up by card: the webhook thrice credits the balance once, the payment is applied, the user is told the new balance', async () => {
    const user = await newUser(database.pool);
    await creditBalance(database.pool, {
      userId: user.id,
      amount: '20.00',
      reason: 'top_up',
      idempotencyKey: `seed-${user.id}`,
      actor: testActor,
    });
    const start = await purchases.startTopUp({ userId: user.id, amountKopecks: 50_000n, method: 'card' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.deepEqual([payment.subscription_id, payment.amount, payment.currency], [null, '500.00', 'RUB']);
    assert.ok(payment.external_id);
    assert.equal(yookassa.state.payments.get(payment.external_id)?.description, `Пополнение баланса VPN, заказ ${payment.id}`);

    yookassa.controls.pay(payment.external_id);
    const [first] = yookassa.controls.webhooks?.deliveries.slice(-1) ?? [];
    assert.ok(first);
    yookassa.controls.duplicate(first);
    yookassa.controls.duplicate(first);
    const completed = await settledPayment(payment.id, 'completed');
    assert.equal((await paymentHandle(payment.id).result()).phase, 'completed');
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-top-up-card-credited');
    await yookassa.controls.webhooks?.settled();
    assert.ok(completed.applied_at, 'a credited top-up is applied');
    assert.equal(await getBalance(database.pool, user.id), '520.00');
    const credits = await database.pool.any(sql.type(z.object({ amount: z.string(), idempotency_key: z.string() }))`
      SELECT amount::text, idempotency_key FROM balance_ledger WHERE user_id = ${user.id} AND source_id = ${payment.id}`);
    assert.deepEqual(credits, [{ amount: '500.00', idempotency_key: `top-up:${payment.id}` }]);
    assert.deepEqual(
      sentTexts.filter((message) => message.chatId === user.telegram_id).map((message) => message.text),
      [
        [
          'Баланс пополнен на 500 ₽. На балансе: 520 ₽.',
          'Им можно оплатить любой тариф или продление: выберите «С баланса» при оплате (/plans).',
        ].join('\n'),
      ],
    );
    assert.deepEqual(
      (await listSuspectPayments(database.pool, { settleSeconds: 0 })).filter((suspect) => suspect.id === payment.id),
      [],
      'the payment invariants hold for a top-up',
    );
    assert.deepEqual(
      (await listBalanceMismatches(database.pool)).filter((row) => row.id === user.id),
      [],
      'balance equals the ledger',
    );
  });

  it('top-up by crypto, told in English; out-of-range amounts, kopecks and the balance itself are refused with nothing ordered', async () => {
    const user = await newUser(database.pool);
    await setUserLanguage(database.pool, { userId: user.id, languageCode: 'en', actor: testActor });
    for (const [amountKopecks, method, reason] of [
      [4_900n, 'card', 'amount-invalid'],
      [5_000_100n, 'card', 'amount-invalid'],
      [10_050n, 'card', 'amount-invalid'],
      [10_000n, 'balance', 'method-unavailable'],
      [10_000n, 'stars', 'method-unavailable'],
    ] as const) {
      assert.deepEqual(await purchases.startTopUp({ userId: user.id, amountKopecks, method }), { kind: 'rejected', reason });
    }
    assert.equal(
      await database.pool.oneFirst(
        sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM payments WHERE user_id = ${user.id}`,
      ),
      0,
    );

    const start = await purchases.startTopUp({ userId: user.id, amountKopecks: 100_000n, method: 'crypto' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id);
    cryptopay.controls.pay(Number(payment.external_id));
    await settledPayment(payment.id, 'completed');
    await paymentHandle(payment.id).result();
    await cryptopay.controls.webhooks?.settled();
    assert.equal(await getBalance(database.pool, user.id), '1000.00');
    await eventually(
      async () => (sentTexts.some((message) => message.chatId === user.telegram_id) ? true : undefined),
      10_000,
      'the top-up message',
    );
    assert.deepEqual(
      sentTexts.filter((message) => message.chatId === user.telegram_id).map((message) => message.text),
      [
        [
          'Your balance was topped up by 1,000 ₽. Balance: 1,000 ₽.',
          'Pay for any plan or renewal with it: choose “From my balance” at checkout (/plans).',
        ].join('\n'),
      ],
    );
  });

  it('a top-up the provider cancels: the user is told how to top up again, nothing credited', async () => {
    const user = await newUser(database.pool);
    const start = await purchases.startTopUp({ userId: user.id, amountKopecks: 30_000n, method: 'card' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id);
    yookassa.controls.cancel(payment.external_id);
    assert.equal((await paymentHandle(payment.id).result()).phase, 'cancelled');
    await yookassa.controls.webhooks?.settled();
    assert.equal(await getBalance(database.pool, user.id), '0.00');
    assert.deepEqual(
      sentTexts.filter((message) => message.chatId === user.telegram_id).map((message) => message.text),
      [
        [
          'Платёж за заказ отменён платёжным сервисом.',
          'Деньги не списаны.',
          'Чтобы попробовать ещё раз, отправьте /topup (или «Баланс» → «Пополнить баланс»).',
        ].join('\n'),
      ],
    );
  });

  it('forged webhooks get 401 and change nothing', async () => {
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    const body = JSON.stringify({
      type: 'notification',
      event: 'payment.succeeded',
      object: { id: 'forged', status: 'succeeded', paid: true },
    });
    const yoo = await fetch(`${base}/webhooks/yookassa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body,
    });
    assert.equal(yoo.status, 401);
    const crypto = await fetch(`${base}/webhooks/cryptopay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'crypto-pay-api-signature': 'ab'.repeat(32) },
      body: JSON.stringify({ update_id: 1, update_type: 'invoice_paid', request_date: new Date().toISOString(), payload: {} }),
    });
    assert.equal(crypto.status, 401);
  });

  it('a payment for the wrong amount never completes and is flagged', async () => {
    const user = await newUser(database.pool);
    const start = await purchases.startPurchase({ userId: user.id, planId, method: 'sbp' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id && payment.subscription_id);
    const stored = yookassa.state.payments.get(payment.external_id);
    assert.ok(stored);
    stored.amount = { value: '1.00', currency: 'RUB' };
    yookassa.controls.pay(payment.external_id);
    await settledPayment(payment.id, 'failed');
    const final = await paymentHandle(payment.id).result();
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-wrong-amount-flagged');
    assert.deepEqual([final.phase, final.failureReason, final.subscriptionNotified], ['failed', 'order-mismatch', false]);
    assert.equal(await countAuditLogs(database.pool, { action: 'payment.mismatch_flagged', entityId: payment.id }), 1);
    assert.equal(await receivedBySubscription(payment.subscription_id), undefined);
    assert.equal(
      sentTexts.filter((message) => message.chatId === user.telegram_id && message.text.includes('на проверке')).length,
      1,
      'the user is told',
    );
  });

  it('a payment nobody pays is cancelled at the timeout, its invoice withdrawn', async () => {
    const user = await newUser(database.pool);
    const quick = createPurchaseService({
      db: database.pool,
      payments: { ...target, timeoutMinutes: 0.04 },
      providers,
      starsKopecksPerStar: 'disabled',
    });
    const start = await quick.startPurchase({ userId: user.id, planId, method: 'crypto' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id);
    assert.ok(cryptopay.state.invoices.has(Number(payment.external_id)));
    const final = await paymentHandle(payment.id).result();
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-timeout-cancelled');
    assert.equal(final.phase, 'cancelled');
    assert.equal((await getPayment(database.pool, payment.id))?.status, 'cancelled');
    assert.equal(cryptopay.state.invoices.has(Number(payment.external_id)), false, 'deleteInvoice was called');
    // The user hears of it once, in Russian (no language stored): not paid in time, no money taken, how to retry.
    assert.deepEqual(
      sentTexts.filter((message) => message.chatId === user.telegram_id).map((message) => message.text),
      [
        [
          'Заказ «1 месяц» не был оплачен вовремя и отменён.',
          'Деньги не списаны.',
          'Чтобы попробовать ещё раз, откройте главное меню (/start) и нажмите «Купить подписку».',
        ].join('\n'),
      ],
    );
  });

  it('a payment the provider cancels: the user is told once, nothing charged', async () => {
    const user = await newUser(database.pool);
    const start = await purchases.startPurchase({ userId: user.id, planId, method: 'card' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id);
    yookassa.controls.cancel(payment.external_id);
    const [delivery] = yookassa.controls.webhooks?.deliveries.slice(-1) ?? [];
    assert.ok(delivery);
    yookassa.controls.duplicate(delivery);
    assert.equal((await paymentHandle(payment.id).result()).phase, 'cancelled');
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-provider-cancelled-user-told');
    await yookassa.controls.webhooks?.settled();
    assert.deepEqual(
      sentTexts.filter((message) => message.chatId === user.telegram_id).map((message) => message.text),
      [
        [
          'Платёж за подписку «1 месяц» отменён платёжным сервисом.',
          'Деньги не списаны.',
          'Чтобы попробовать ещё раз, откройте главное меню (/start) и нажмите «Купить подписку».',
        ].join('\n'),
      ],
    );
  });

  it('Crypto Pay: a signed webhook completes the payment', async () => {
    const user = await newUser(database.pool);
    const start = await purchases.startPurchase({ userId: user.id, planId, method: 'crypto' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id && payment.subscription_id);
    cryptopay.controls.pay(Number(payment.external_id));
    cryptopay.controls.duplicate(Number(payment.external_id));
    await settledPayment(payment.id, 'completed');
    assert.equal((await paymentHandle(payment.id).result()).phase, 'completed');
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-cryptopay-completed');
    await cryptopay.controls.webhooks?.settled();
    assert.deepEqual(await receivedBySubscription(payment.subscription_id), [payment.id]);
  });

  it('balance: completes at once with the ledger debited; too little balance is refused', async () => {
    const user = await newUser(database.pool);
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance' }), {
      kind: 'rejected',
      reason: 'insufficient-balance',
    });
    await creditBalance(database.pool, {
      userId: user.id,
      amount: '300.00',
      reason: 'top_up',
      idempotencyKey: `test-topup-${user.id}`,
      actor: testActor,
    });
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance' }), { kind: 'done' });
    const payment = await latestPayment(user.id);
    assert.equal(payment.status, 'completed');
    assert.equal(await getBalance(database.pool, user.id), '51.00');
    assert.ok(payment.subscription_id);
    const subscriptionId = payment.subscription_id;
    assert.deepEqual(
      await eventually(async () =>
        (await receivedBySubscription(subscriptionId))?.length ? receivedBySubscription(subscriptionId) : undefined,
      ),
      [payment.id],
    );
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance' }), {
      kind: 'rejected',
      reason: 'insufficient-balance',
    });
  });

  it('balance with a promo code: charged the discounted price exactly, list price and redemption recorded', async () => {
    const user = await newUser(database.pool);
    const promo = await newPromoCode(database.pool, { percentOff: 33, maxRedemptions: 5 });
    await creditBalance(database.pool, {
      userId: user.id,
      amount: '300.00',
      reason: 'top_up',
      idempotencyKey: `test-topup-${user.id}`,
      actor: testActor,
    });
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', promoCode: 'NO-SUCH-CODE' }), {
      kind: 'rejected',
      reason: 'promo-invalid',
    });
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', promoCode: promo.code.toLowerCase() }), {
      kind: 'done',
    });
    const payment = await latestPayment(user.id);
    // 249.00 − 33% (82.17) = 166.83, with applyDiscount's half-up rounding.
    assert.deepEqual(
      [payment.status, payment.amount, payment.list_price, payment.promo_code_id],
      ['completed', '166.83', '249.00', promo.id],
    );
    assert.equal(parseMoney(payment.amount), applyDiscount(parseMoney('249.00'), 33, 'half-up'));
    assert.equal(await getBalance(database.pool, user.id), '133.17');
    const redemption = await database.pool.one(sql.type(z.object({ payment_id: z.number(), redeemed: z.number() }))`
      SELECT r.payment_id, p.redeemed_count AS redeemed FROM promo_redemptions r JOIN promo_codes p ON p.id = r.promo_code_id
      WHERE r.promo_code_id = ${promo.id} AND r.user_id = ${user.id}
    `);
    assert.deepEqual(redemption, { payment_id: payment.id, redeemed: 1 });
    // Reserved by the order, consumed by its payment.
    assert.equal(await countAuditLogs(database.pool, { action: 'promo_code.reserved', entityId: promo.id }), 1);
    assert.equal(await countAuditLogs(database.pool, { action: 'promo_code.consumed', entityId: promo.id }), 1);
    // Once per user: the same code again is refused and creates nothing.
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', promoCode: promo.code }), {
      kind: 'rejected',
      reason: 'promo-invalid',
    });
    assert.equal((await latestPayment(user.id)).id, payment.id);
  });

  it('a 100% promo code: a one-kopeck order, never zero', async () => {
    const user = await newUser(database.pool);
    const promo = await newPromoCode(database.pool, { percentOff: 100 });
    await creditBalance(database.pool, {
      userId: user.id,
      amount: '1.00',
      reason: 'top_up',
      idempotencyKey: `test-topup-${user.id}`,
      actor: testActor,
    });
    assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', promoCode: promo.code }), {
      kind: 'done',
    });
    const payment = await latestPayment(user.id);
    assert.deepEqual([payment.amount, payment.list_price, payment.promo_code_id], ['0.01', '249.00', promo.id]);
    assert.equal(await getBalance(database.pool, user.id), '0.99');
  });

  it('a lost webhook: the payment reconciler asks the provider and completes the order', async () => {
    const user = await newUser(database.pool);
    const start = await purchases.startPurchase({ userId: user.id, planId, method: 'card' });
    assert.equal(start.kind, 'redirect');
    const payment = await latestPayment(user.id);
    assert.ok(payment.external_id);
    yookassa.controls.webhooks?.hold();
    yookassa.controls.pay(payment.external_id);
    assert.equal((await getPayment(database.pool, payment.id))?.status, 'pending', 'no webhook reached us');
    const swept = await temporal.client.workflow.execute<typeof paymentReconcileWorkflow>('paymentReconcileWorkflow', {
      workflowId: `payment-reconcile-test-${payment.id}`,
      taskQueue: target.taskQueue,
      args: [{ olderThanMinutes: 0 }],
    });
    assert.ok(swept.woken.includes(payment.id));
    await settledPayment(payment.id, 'completed');
    await eventually(
      async () => ((await receivedBySubscription(payment.subscription_id ?? 0))?.includes(payment.id) ? true : undefined),
      20_000,
      'hand-off to the subscription',
    );
  });
});
