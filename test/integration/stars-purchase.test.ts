/**
 * A Telegram Stars purchase end to end: the real grammY bot (bot/create-bot.ts) with the real
 * Postgres-backed services (bot/create-bot-services.ts, usecases/) long-polls the fake
 * Telegram; purchases start the real payment workflow on the Temporal dev server, run by a test
 * worker with the real payment activities and a stub subscription workflow that records every
 * `paymentCompleted` signal (test/integration/payment-test-workflows.ts, as payments.test.ts).
 * Stars are offered only because the purchase config sets STARS_KOPECKS_PER_STAR.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import type { Bot } from 'grammy';
import { pino } from 'pino';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTelegramSender } from '../../activities/telegram-sender';
import type { BotContext } from '../../bot/bot-context';
import { encodeCallback } from '../../bot/callback-data';
import { createBot } from '../../bot/create-bot';
import { runBot, type RunningBot } from '../../bot/run-bot';
import { createBotServices } from '../../bot/create-bot-services';
import { defaultTexts, en } from '../../bot/locales';
import { startFakeTelegram, type FakeTelegram, type RecordedCall } from '../../fakes/telegram';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { parseMoney } from '../../lib/money';
import { paymentFields, type PaymentProviders } from '../../lib/payments/payments-config';
import { rubToStars } from '../../lib/payments/stars/rub-to-stars';
import { starsInvoicePayload } from '../../lib/payments/stars/stars-payload';
import type { PaymentWorkflowTarget } from '../../clients/payment-workflow-client';
import { purchaseFields } from '../../usecases/purchase-config';
import { createPurchaseService } from '../../usecases/start-purchase';
import { createStarsCheckout } from '../../usecases/stars-checkout';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { getPayment } from '../../sql/repositories/payments-repository';
import { getBalance } from '../../sql/repositories/ledger-repository';
import { getUserByTelegramId } from '../../sql/repositories/users-repository';
import type { PaymentRow } from '../../sql/schemas/payment-row';
import { createWorker } from '../../workers/create-worker';
import { paymentWorkflowId } from '../../workflows/contract';
import type { PaymentState, paymentWorkflow } from '../../workflows/payment-workflow';
import { receivedBySubscription as receivedPaymentsOf } from '../support/received-payments';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { connectTestTemporal, eventually, type TestTemporal } from '../support/test-temporal';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../../workflows/subscription-lifecycle';

const TEST_WORKFLOWS = fileURLToPath(new URL('./payment-test-workflows.ts', import.meta.url));
const TOKEN = '424242:stars-purchase-test-token';
/** Telegram's pre-checkout deadline, which the fake enforces: an answer later than this is a failed purchase. */
const PRE_CHECKOUT_DEADLINE_MS = 10_000;

let database: TestDatabase;
let temporal: TestTemporal;
let fake: FakeTelegram;
let worker: Worker;
let running: Promise<void>;
let bot: Bot<BotContext>;
let polling: RunningBot | undefined;
let target: PaymentWorkflowTarget;
let kopecksPerStar: number;
let plan: { id: number; priceRub: string; name: string };
const logs: string[] = [];

before(async () => {
  database = await createTestDatabase({ seed: true });
  temporal = await connectTestTemporal();
  fake = await startFakeTelegram({ token: TOKEN, preCheckoutDeadlineMs: PRE_CHECKOUT_DEADLINE_MS });
  const taskQueue = temporal.uniqueTaskQueue('stars');
  target = { client: temporal.client, taskQueue, timeoutMinutes: 2 };
  // The invoice names the plan in the buyer's language (Stella's Telegram speaks English).
  plan = await database.pool.one(sql.type(z.object({ id: z.number(), priceRub: z.string(), name: z.string() }))`
    SELECT id, price_rub::text AS "priceRub", coalesce(name_en, name) AS name FROM subscription_plans WHERE name = '1 месяц'`);

  // The bot's purchase configuration as the process parses it from the environment.
  const config = z.object({ ...paymentFields, ...purchaseFields }).parse({ STARS_KOPECKS_PER_STAR: '180' });
  assert.equal(config.STARS_KOPECKS_PER_STAR, 180);
  kopecksPerStar = config.STARS_KOPECKS_PER_STAR;
  /** No card or crypto provider: Stars and the balance are what this deployment offers. */
  const providers: PaymentProviders = { byName: {}, forMethod: () => undefined };

  worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    deps: {
      db: database.pool,
      logger: createLogger({ level: 'silent' }),
      panels: createPanelResolver({ db: database.pool, secretBox: createSecretBox(randomBytes(32)), timeoutMs: 1_000 }),
      clientIdSalt: 'stars-integration-test-salt',
      publicBaseUrl: 'http://127.0.0.1:1',
      telegram: createTelegramSender({ token: TOKEN, apiRoot: fake.apiRoot }),
      referralBonusKopecks: null,
      lifecycle: DEFAULT_LIFECYCLE_SETTINGS,
      payments: { providers, temporal: { client: temporal.client, taskQueue }, returnUrl: 'https://t.me/stars_test_bot' },
    },
    overrides: { workflowsPath: TEST_WORKFLOWS },
  });
  running = worker.run();

  const purchases = createPurchaseService({
    db: database.pool,
    payments: target,
    providers,
    starsKopecksPerStar: config.STARS_KOPECKS_PER_STAR,
    invoiceWaitMs: 30_000,
  });
  bot = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    texts: defaultTexts,
    services: createBotServices({
      db: database.pool,
      adminTelegramIds: [],
      paymentMethods: [],
      purchases,
      stars: createStarsCheckout({ db: database.pool, payments: target }),
    }),
  });
  polling = await runBot(bot, { pollTimeoutSeconds: 1 });
});

after(async () => {
  await polling?.stop();
  await fake?.close();
  worker?.shutdown();
  await running;
  await temporal?.close();
  await database?.drop();
});

let nextTelegramId = 7_000_000 + Math.floor(Math.random() * 1_000_000);

const sentTo = (chatId: number, method: string) => fake.sent(chatId).filter((call) => call.method === method && call.ok);
const textOf = (call: RecordedCall) => String(call.params['text']);
const buttonsOf = (call: RecordedCall) =>
  (call.params['reply_markup'] as { inline_keyboard: Array<Array<{ text: string; callback_data?: string }>> }).inline_keyboard.flat();

/** The bot's answers to pre-checkout queries (they name no chat), oldest first. The tests run one at a time. */
const preCheckoutAnswers = () => fake.sent().filter((call) => call.method === 'answerPreCheckoutQuery');

/** All updates handed to the bot were processed (the bot confirmed them with its next getUpdates). */
async function updatesProcessed(): Promise<void> {
  await eventually(async () => (fake.pendingUpdates().length === 0 ? true : undefined), 15_000, 'the bot to process its updates');
}

const receivedBySubscription = (subscriptionId: number) => receivedPaymentsOf(temporal.client, subscriptionId);

/**
 * A new English-speaking user sends /start and /plans, picks the month plan, sees Stars among the
 * methods and picks it; returns the XTR invoice the bot sent and the pending payment behind it.
 */
async function buyWithStars(): Promise<{
  user: { id: number; first_name: string; language_code: string };
  invoice: RecordedCall;
  payment: PaymentRow;
}> {
  const user = { id: ++nextTelegramId, first_name: 'Stella', language_code: 'en' };
  fake.userSends(user, '/start');
  await fake.waitFor((call) => call.method === 'sendMessage' && call.chatId === user.id && call.ok, 10_000);
  const userRow = await getUserByTelegramId(database.pool, user.id);
  assert.ok(userRow, '/start registered the user');

  fake.userSends(user, '/plans');
  const list = await fake.waitFor(
    (call) => call.method === 'sendMessage' && call.chatId === user.id && textOf(call).startsWith(en.plansHeader),
    10_000,
  );
  assert.ok(buttonsOf(list).some((button) => button.callback_data === encodeCallback({ type: 'plan', planId: plan.id })));

  fake.userPresses(user, encodeCallback({ type: 'plan', planId: plan.id }));
  const details = await fake.waitFor((call) => call.method === 'editMessageText' && call.chatId === user.id && call.ok, 10_000);
  const stars = buttonsOf(details).find(
    (button) => button.callback_data === encodeCallback({ type: 'pay', planId: plan.id, method: 'stars' }),
  );
  assert.ok(stars, 'Stars are offered once STARS_KOPECKS_PER_STAR is set');
  assert.equal(stars.text, en.paymentMethods.stars);

  fake.userPresses(user, encodeCallback({ type: 'pay', planId: plan.id, method: 'stars' }));
  const invoice = await fake.waitFor((call) => call.method === 'sendInvoice' && call.chatId === user.id, 30_000);
  assert.equal(invoice.ok, true, invoice.description);
  const paymentId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    SELECT max(id) AS id FROM payments WHERE user_id = ${userRow.id}`);
  const payment = await getPayment(database.pool, paymentId);
  assert.ok(payment);
  return { user, invoice, payment };
}

describe('Telegram Stars purchase through the bot', () => {
  it('XTR invoice → pre-checkout ok in time → successful_payment delivered twice → completed once, one paymentCompleted', async () => {
    const { user, invoice, payment } = await buyWithStars();
    const expectedStars = rubToStars(parseMoney(plan.priceRub), kopecksPerStar);
    assert.equal(expectedStars, 139, '249.00 ₽ at 1.80 ₽ per Star, rounded up');
    assert.deepEqual(
      [invoice.params['currency'], invoice.params['payload'], invoice.params['prices']],
      ['XTR', starsInvoicePayload(payment.id), [{ label: plan.name, amount: expectedStars }]],
    );
    assert.ok(!('provider_token' in invoice.params) || invoice.params['provider_token'] === '');
    assert.deepEqual(
      [payment.status, payment.payment_method, payment.provider, payment.currency, payment.amount, payment.external_id],
      ['pending', 'stars', 'telegram_stars', 'XTR', `${expectedStars}.00`, null],
    );
    assert.ok(payment.subscription_id);
    const subscriptionId = payment.subscription_id;
    assert.equal(
      (
        await temporal.client.workflow
          .getHandle<typeof paymentWorkflow>(paymentWorkflowId(payment.id))
          .query<PaymentState>('getPaymentState')
      ).phase,
      'awaiting',
    );

    const answersBefore = preCheckoutAnswers().length;
    const started = Date.now();
    const outcome = await fake.userPays(user, String(invoice.params['payload']), { deliveries: 2 });
    const answeredIn = Date.now() - started;
    assert.equal(outcome.status, 'paid', `the pre-checkout answer came in ${answeredIn} ms`);
    assert.ok(outcome.status === 'paid');
    assert.ok(answeredIn < PRE_CHECKOUT_DEADLINE_MS);
    assert.deepEqual(
      preCheckoutAnswers()
        .slice(answersBefore)
        .map((call) => [call.ok, call.params['ok']]),
      [[true, true]],
    );

    await fake.waitFor((call) => call.method === 'sendMessage' && call.chatId === user.id && textOf(call) === en.paymentReceived, 15_000);
    await updatesProcessed();
    await eventually(
      async () => (logs.some((line) => line.includes('repeated successful_payment ignored')) ? true : undefined),
      5_000,
      'the second delivery',
    );

    // The bot stores the charge; its settlement (stars-charge-{id}) completes the payment right after.
    const paid = await eventually(
      async () => {
        const row = await getPayment(database.pool, payment.id);
        return row?.status === 'completed' ? row : undefined;
      },
      15_000,
      'the settlement',
    );
    assert.deepEqual([paid.status, paid.external_id, paid.completed_at !== null], ['completed', outcome.telegramPaymentChargeId, true]);
    assert.equal(await countAuditLogs(database.pool, { action: 'payment.completed', entityId: payment.id }), 1, 'completed exactly once');
    assert.equal(sentTo(user.id, 'sendMessage').filter((call) => textOf(call) === en.paymentReceived).length, 1, 'thanked once');

    // Both deliveries were handled before this point, so the newest run of payment-{id} is final.
    const final = await temporal.client.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(payment.id)).result();
    assert.deepEqual([final.phase, final.subscriptionNotified], ['completed', true]);
    assert.deepEqual(
      await eventually(() => receivedBySubscription(subscriptionId), 20_000, 'the hand-off'),
      [payment.id],
      'paymentCompleted once',
    );

    // Paying the same invoice again is refused at pre-checkout: nothing is charged twice.
    const again = await fake.userPays(user, String(invoice.params['payload']));
    assert.deepEqual(again, { status: 'declined', errorMessage: en.checkoutRejected['already-paid'] });
    assert.deepEqual(await receivedBySubscription(subscriptionId), [payment.id]);
    assert.ok(!logs.some((line) => line.includes('"level":50')), 'nothing was logged as an error');
  });

  it('a successful_payment redelivered after the payment workflow ended completes nothing again', async () => {
    const { user, invoice, payment } = await buyWithStars();
    const outcome = await fake.userPays(user, String(invoice.params['payload']));
    assert.ok(outcome.status === 'paid');
    await fake.waitFor((call) => call.method === 'sendMessage' && call.chatId === user.id && textOf(call) === en.paymentReceived, 15_000);
    const handle = temporal.client.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(payment.id));
    assert.equal((await handle.result()).phase, 'completed');
    assert.ok(payment.subscription_id);
    const subscriptionId = payment.subscription_id;
    assert.deepEqual(await eventually(() => receivedBySubscription(subscriptionId), 20_000, 'the hand-off'), [payment.id]);

    // Telegram delivers the same update again (e.g. the bot crashed before confirming it).
    fake.state.queue.push({ message: outcome.message });
    await updatesProcessed();
    // The charge is stored once (by its charge id) and its settlement already ran: the redelivery
    // settles nothing again and hands nothing off again.
    assert.equal((await handle.result()).phase, 'completed');
    await eventually(
      async () => (logs.some((line) => line.includes('repeated successful_payment ignored')) ? true : undefined),
      5_000,
      'the redelivery',
    );
    assert.deepEqual(await receivedBySubscription(subscriptionId), [payment.id], 'handed off once');
    assert.equal(
      await countAuditLogs(database.pool, { action: 'stars_charge.applied' }),
      2,
      'one applied charge per purchase in this file so far',
    );
    assert.equal(await countAuditLogs(database.pool, { action: 'payment.completed', entityId: payment.id }), 1, 'completed exactly once');
    assert.equal(sentTo(user.id, 'sendMessage').filter((call) => textOf(call) === en.paymentReceived).length, 1, 'thanked once');
    assert.equal((await getPayment(database.pool, payment.id))?.external_id, outcome.telegramPaymentChargeId);
  });

  it('a pre-checkout for the wrong amount is refused with a message and nothing is paid', async () => {
    const { user, invoice, payment } = await buyWithStars();
    const stars = (invoice.params['prices'] as Array<{ amount: number }>)[0]?.amount ?? 0;
    assert.ok(stars > 1);
    const answersBefore = preCheckoutAnswers().length;

    for (const totalAmount of [stars - 1, stars + 1]) {
      const outcome = await fake.userPays(user, String(invoice.params['payload']), { totalAmount });
      assert.deepEqual(outcome, { status: 'declined', errorMessage: en.checkoutRejected['amount-mismatch'] }, `${totalAmount} Stars`);
    }
    assert.deepEqual(
      preCheckoutAnswers()
        .slice(answersBefore)
        .map((call) => [call.ok, call.params['ok'], call.params['error_message']]),
      [
        [true, false, en.checkoutRejected['amount-mismatch']],
        [true, false, en.checkoutRejected['amount-mismatch']],
      ],
    );
    await updatesProcessed();
    const row = await getPayment(database.pool, payment.id);
    assert.deepEqual([row?.status, row?.external_id, row?.completed_at], ['pending', null, null]);
    assert.equal(sentTo(user.id, 'sendMessage').filter((call) => textOf(call) === en.paymentReceived).length, 0);
    assert.ok(payment.subscription_id);
    assert.equal(await receivedBySubscription(payment.subscription_id), undefined, 'no hand-off');

    // The right amount still goes through afterwards.
    const paid = await fake.userPays(user, String(invoice.params['payload']));
    assert.equal(paid.status, 'paid');
    await eventually(
      async () => ((await getPayment(database.pool, payment.id))?.status === 'completed' ? true : undefined),
      15_000,
      'completion',
    );
  });

  it('a Stars top-up from the Balance screen credits the balance once and the worker tells the new balance', async () => {
    const user = { id: ++nextTelegramId, first_name: 'Stella', language_code: 'en' };
    fake.userSends(user, '/start');
    await fake.waitFor((call) => call.method === 'sendMessage' && call.chatId === user.id && call.ok, 10_000);
    const userRow = await getUserByTelegramId(database.pool, user.id);
    assert.ok(userRow);
    fake.userPresses(user, 'balance');
    const balance = await fake.waitFor(
      (call) => call.method === 'editMessageText' && call.chatId === user.id && textOf(call).startsWith('Balance:'),
      10_000,
    );
    assert.ok(buttonsOf(balance).some((button) => button.callback_data === 'topup'));
    fake.userPresses(user, 'tamt:500');
    const methods = await fake.waitFor(
      (call) => call.method === 'editMessageText' && call.chatId === user.id && textOf(call).startsWith('Top up the balance by 500'),
      10_000,
    );
    assert.deepEqual(
      buttonsOf(methods).map((button) => button.callback_data),
      ['tpay:500:stars', 'topup'],
      'Stars only: the balance never tops up itself',
    );
    fake.userPresses(user, 'tpay:500:stars');
    const invoice = await fake.waitFor((call) => call.method === 'sendInvoice' && call.chatId === user.id, 30_000);
    const stars = rubToStars(50_000n, kopecksPerStar);
    assert.equal(stars, 278, '500 ₽ at 1.80 ₽ per Star, rounded up');
    assert.deepEqual(invoice.params['prices'], [{ label: 'Balance top-up', amount: stars }]);

    const outcome = await fake.userPays(user, String(invoice.params['payload']), { deliveries: 2 });
    assert.equal(outcome.status, 'paid');
    const told = await fake.waitFor(
      (call) => call.method === 'sendMessage' && call.chatId === user.id && textOf(call).startsWith('Your balance was topped up'),
      20_000,
    );
    assert.equal(
      textOf(told),
      'Your balance was topped up by 500 ₽. Balance: 500 ₽.\nPay for any plan or renewal with it: choose “From my balance” at checkout (/plans).',
    );
    await updatesProcessed();
    assert.equal(await getBalance(database.pool, userRow.id), '500.00', 'the RUB worth, not the Stars');
    const payments = await database.pool.any(sql.type(z.object({ status: z.string(), currency: z.string(), amount: z.string() }))`
      SELECT status, currency, amount::text FROM payments WHERE user_id = ${userRow.id}`);
    assert.deepEqual(payments, [{ status: 'completed', currency: 'XTR', amount: `${stars}.00` }]);
    assert.equal(await countAuditLogs(database.pool, { action: 'stars_charge.refunded' }), 0, 'nothing refunded');
  });

  it('a gift paid with Stars is kept, not refunded: the buyer gets the gift code from the worker', async () => {
    const user = { id: ++nextTelegramId, first_name: 'Stella', language_code: 'en' };
    fake.userSends(user, '/start');
    await fake.waitFor((call) => call.method === 'sendMessage' && call.chatId === user.id && call.ok, 10_000);
    fake.userPresses(user, encodeCallback({ type: 'gpay', planId: plan.id, method: 'stars' }));
    const invoice = await fake.waitFor((call) => call.method === 'sendInvoice' && call.chatId === user.id, 30_000);
    const outcome = await fake.userPays(user, String(invoice.params['payload']));
    assert.equal(outcome.status, 'paid');
    const told = await fake.waitFor(
      (call) => call.method === 'sendMessage' && call.chatId === user.id && textOf(call).startsWith('Your gift'),
      20_000,
    );
    const code = /Gift code: ([A-Z0-9]+)\./.exec(textOf(told))?.[1];
    assert.ok(code, textOf(told));
    const gift = await database.pool.one(sql.type(z.object({ code: z.string(), paid: z.boolean() }))`
      SELECT g.code, g.paid_at IS NOT NULL AS paid FROM gifts g JOIN users u ON u.id = g.buyer_user_id WHERE u.telegram_id = ${user.id}`);
    assert.deepEqual(gift, { code, paid: true });
    assert.equal(
      textOf(told),
      `Your gift “${plan.name}” is paid. Gift code: ${code}.\nOpen /gifts for the link to send: the first person to open it gets the subscription.`,
    );
    assert.equal(await countAuditLogs(database.pool, { action: 'stars_charge.refunded' }), 0, 'nothing refunded');
  });
});
