/**
 * Telegram Stars made durable, end to end through the fake Telegram: the real grammY bot stores
 * every `successful_payment` in `stars_charges` first, `stars-charge-{id}` settles it (applies it
 * to its order, or refunds it with refundStarPayment and tells the payer), and the
 * `stars-reconcile` workflow settles charges found only in getStarTransactions. Everything else
 * is real too: the payment and subscription workflows, provisioning on the fake 3X-UI panel, and
 * the key sent to the user. Failures are injected into Postgres with fail-once triggers (a
 * sequence is not transactional, so the first write fails and every later one passes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { sql } from 'slonik';
import { z } from 'zod';
import { runBot } from '../support/bot-test-kit';
import { createBotServices } from '../../bot/create-bot-services';
import type { RecordedCall } from '../../fakes/telegram';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import type { PaymentWorkflowTarget } from '../../clients/payment-workflow-client';
import { createPurchaseService } from '../../usecases/start-purchase';
import { startStarsChargeSettlement } from '../../clients/stars-charge-workflow-client';
import { createStarsCheckout } from '../../usecases/stars-checkout';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { getPayment } from '../../sql/repositories/payments-repository';
import { recordStarsCharge } from '../../sql/repositories/stars-charges-repository';
import { getUserByTelegramId } from '../../sql/repositories/users-repository';
import { starsChargeRow } from '../../sql/schemas/stars-charge-row';
import type { StarsReconcileResult } from '../../activities/contracts/stars-charge-activities';
import { paymentWorkflowId, starsChargeWorkflowId } from '../../workflows/contract';
import type { starsReconcileWorkflow } from '../../workflows/stars-reconcile-workflow';
import { maybeRecordHistory } from '../support/record-history';
import type { PaymentState } from '../../workflows/payment-workflow';
import { startRealStack, type RealStack } from '../support/real-stack';
import { eventually } from '../support/test-temporal';

let stack: RealStack;
let planId: number;
const workerLogs: string[] = [];
const providers: PaymentProviders = { byName: {}, forMethod: () => undefined };
let nextTelegramId = 8_000_000 + Math.floor(Math.random() * 1_000_000);

before(async () => {
  stack = await startRealStack();
  stack.deps.logger = pino({ level: 'info' }, { write: (line: string) => void workerLogs.push(line) });
  stack.deps.payments = {
    providers,
    temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
    returnUrl: 'https://t.me/stars_test_bot',
  };
  planId = await stack.database.pool.oneFirst(
    sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = '1 месяц'`,
  );
});

after(async () => {
  await stack?.close();
});

/** The worker and the bot (payment timeout `timeoutMinutes`) run until `body` settles. */
async function withSystem(body: () => Promise<void>, timeoutMinutes = 5): Promise<void> {
  const target: PaymentWorkflowTarget = { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes };
  const purchases = createPurchaseService({
    db: stack.database.pool,
    payments: target,
    providers,
    starsKopecksPerStar: 180,
    invoiceWaitMs: 30_000,
  });
  const services = createBotServices({
    db: stack.database.pool,
    adminTelegramIds: [],
    paymentMethods: [],
    purchases,
    stars: createStarsCheckout({ db: stack.database.pool, payments: target }),
  });
  await stack.run(() => runBot(stack.telegram, { services }, body));
}

/** A new user sends /start; a Stars order for the month plan is created as the bot would (twice = the same reused order). */
async function newBuyer(): Promise<{ user: { id: number; first_name: string; language_code: string }; userId: number }> {
  const user = { id: ++nextTelegramId, first_name: 'Stella', language_code: 'en' };
  stack.telegram.userSends(user, '/start');
  const row = await eventually(
    () => getUserByTelegramId(stack.database.pool, user.id).then((found) => found ?? undefined),
    10_000,
    '/start',
  );
  return { user, userId: row.id };
}

async function starsOrder(userId: number): Promise<{ payload: string; stars: number; paymentId: number }> {
  const target: PaymentWorkflowTarget = { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 5 };
  const purchases = createPurchaseService({
    db: stack.database.pool,
    payments: target,
    providers,
    starsKopecksPerStar: 180,
    invoiceWaitMs: 30_000,
  });
  const started = await purchases.startPurchase({ userId, planId, method: 'stars' });
  assert.equal(started.kind, 'stars-invoice');
  assert.ok(started.kind === 'stars-invoice');
  return { payload: started.payload, stars: started.stars, paymentId: Number(started.payload.slice('order:'.length)) };
}

const charges = (paymentId: number) =>
  stack.database.pool.any(sql.type(starsChargeRow)`SELECT * FROM stars_charges WHERE payment_id = ${paymentId} ORDER BY id`);

/** Key messages the user got (the subscription workflow sends the key with its QR code). */
async function keysDelivered(userId: number): Promise<number> {
  return stack.database.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM notifications WHERE user_id = ${userId} AND type = 'key_delivered' AND status = 'sent'`);
}

async function keyArrives(userId: number): Promise<void> {
  await eventually(async () => ((await keysDelivered(userId)) >= 1 ? true : undefined), 30_000, 'the key message');
}

async function reconcile(record?: string): Promise<StarsReconcileResult> {
  const workflowId = `stars-reconcile-test-${Date.now()}-${Math.random()}`;
  const result = await stack.temporal.client.workflow.execute<typeof starsReconcileWorkflow>('starsReconcileWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId,
    args: [{ settleAfterSeconds: 0 }],
  });
  if (record !== undefined) await maybeRecordHistory(stack.temporal.client, workflowId, record);
  return result;
}

const alertsFor = (key: string) =>
  workerLogs.filter((line) => line.includes('"alert":"stars_charge_settled"') && line.includes(`"key":"${key}"`));
const refundCalls = (chargeId: string): RecordedCall[] =>
  stack.telegram.sent().filter((call) => call.method === 'refundStarPayment' && call.params['telegram_payment_charge_id'] === chargeId);

/** Runs raw SQL (DDL with names) on the test database. */
async function rawSql(text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: stack.database.url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

/**
 * A fail-once trigger: the first `event` on `table` (matching `when`) raises; later ones pass.
 * @returns how many times it fired, and its removal
 */
async function failOnce(name: string, table: 'stars_charges' | 'payments', event: 'INSERT' | 'UPDATE', when = 'true') {
  await rawSql(`CREATE SEQUENCE ${name}_seq`);
  await rawSql(
    `CREATE FUNCTION ${name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF nextval('${name}_seq') = 1 THEN RAISE EXCEPTION 'injected failure ${name}'; END IF; RETURN NEW; END $$`,
  );
  await rawSql(`CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}_fn()`);
  return {
    fired: async () => Number((await rawSql(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ${name}_seq`))[0]?.['n'] ?? 0),
    remove: () => rawSql(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}_fn(); DROP SEQUENCE ${name}_seq`),
  };
}

describe('Telegram Stars charges are stored first and always settled', () => {
  it('the settlement write fails once after the store: the payment still completes and the key arrives exactly once', async () => {
    const trigger = await failOnce('fail_stars_apply', 'payments', 'UPDATE', 'NEW.external_id IS DISTINCT FROM OLD.external_id');
    try {
      await withSystem(async () => {
        const { user, userId } = await newBuyer();
        const order = await starsOrder(userId);
        const paid = await stack.telegram.userPays(user, order.payload, { totalAmount: order.stars });
        assert.ok(paid.status === 'paid');
        await keyArrives(userId);
        const [charge] = await charges(order.paymentId);
        assert.deepEqual(
          [charge?.status, charge?.recorded_by, charge?.telegram_payment_charge_id],
          ['applied', 'bot', paid.telegramPaymentChargeId],
        );
        const payment = await getPayment(stack.database.pool, order.paymentId);
        assert.deepEqual([payment?.status, payment?.external_id], ['completed', paid.telegramPaymentChargeId]);
        assert.equal(await trigger.fired(), 2, 'the first settlement write failed, the retry passed');
        await stack.temporal.client.workflow.getHandle(starsChargeWorkflowId(charge?.id ?? 0)).result();
        await maybeRecordHistory(
          stack.temporal.client,
          starsChargeWorkflowId(charge?.id ?? 0),
          'stars-charge-applied-after-a-failed-write',
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        assert.equal(await keysDelivered(userId), 1, 'the key arrived exactly once');
        assert.equal(await countAuditLogs(stack.database.pool, { action: 'payment.completed', entityId: order.paymentId }), 1);
        assert.ok(
          !stack.telegram.sent(user.id).some((call) => call.method === 'sendMessage' && String(call.params['text']).includes('try again')),
          'never told to pay again',
        );
      });
    } finally {
      await trigger.remove();
    }
  });

  it('the store itself fails in the bot: the user is not told to pay again, and the reconciler applies the charge from getStarTransactions', async () => {
    const trigger = await failOnce('fail_stars_store', 'stars_charges', 'INSERT');
    try {
      await withSystem(async () => {
        const { user, userId } = await newBuyer();
        const order = await starsOrder(userId);
        const paid = await stack.telegram.userPays(user, order.payload, { totalAmount: order.stars });
        assert.ok(paid.status === 'paid');
        await stack.telegram.waitFor(
          (call) => call.method === 'sendMessage' && call.chatId === user.id && String(call.params['text']).startsWith('Payment received'),
          10_000,
        );
        await eventually(
          async () => (stack.telegram.pendingUpdates().length === 0 ? true : undefined),
          10_000,
          'the bot to handle the update',
        );
        assert.deepEqual(await charges(order.paymentId), [], 'the store failed: the charge is recorded nowhere');
        assert.equal(await trigger.fired(), 1);
        assert.ok(
          !stack.telegram.sent(user.id).some((call) => call.method === 'sendMessage' && String(call.params['text']).includes('try again')),
          'never told to try again',
        );

        const result = await reconcile('stars-reconcile-found-a-lost-charge');
        const [charge] = await charges(order.paymentId);
        assert.ok(charge);
        assert.ok(result.recorded.includes(charge.id));
        await keyArrives(userId);
        assert.deepEqual([(await charges(order.paymentId))[0]?.status, charge.recorded_by], ['applied', 'reconciler']);
        await eventually(
          async () => (alertsFor(`stars_charge_settled:${charge.id}`).length === 1 ? true : undefined),
          10_000,
          'the operator alert',
        );
        assert.match(alertsFor(`stars_charge_settled:${charge.id}`)[0] ?? '', /applied to payment/);
        assert.equal(await keysDelivered(userId), 1);

        // Another pass finds nothing new to do.
        const again = await reconcile();
        assert.deepEqual(again.recorded, []);
        assert.equal((await charges(order.paymentId)).length, 1);
      });
    } finally {
      await trigger.remove();
    }
  });

  it('a charge whose update never reached the bot is applied by the reconciler, and audited', async () => {
    await withSystem(async () => {
      const { user, userId } = await newBuyer();
      const order = await starsOrder(userId);
      const paid = await stack.telegram.userPays(user, order.payload, { totalAmount: order.stars, deliveries: 0 });
      assert.ok(paid.status === 'paid');
      assert.deepEqual(await charges(order.paymentId), []);
      await reconcile();
      await keyArrives(userId);
      const [charge] = await charges(order.paymentId);
      assert.deepEqual(
        [charge?.status, charge?.recorded_by, charge?.telegram_payment_charge_id],
        ['applied', 'reconciler', paid.telegramPaymentChargeId],
      );
      assert.equal(await countAuditLogs(stack.database.pool, { action: 'stars_charge.applied', entityId: charge?.id ?? 0 }), 1);
      assert.equal((await getPayment(stack.database.pool, order.paymentId))?.status, 'completed');
    });
  });

  it('two invoices of one reused order both paid: one charge applied, the other refunded and the user told', async () => {
    await withSystem(async () => {
      const { user, userId } = await newBuyer();
      const first = await starsOrder(userId);
      const second = await starsOrder(userId);
      assert.equal(second.paymentId, first.paymentId, 'the pending order is reused, so both invoices name it');
      const [one, two] = await Promise.all([
        stack.telegram.userPays(user, first.payload, { totalAmount: first.stars }),
        stack.telegram.userPays(user, second.payload, { totalAmount: second.stars }),
      ]);
      assert.ok(one?.status === 'paid' && two?.status === 'paid', 'both pre-checkouts were approved before either payment was settled');
      await keyArrives(userId);
      const settled = await eventually(
        async () => {
          const rows = await charges(first.paymentId);
          return rows.length === 2 && rows.every((row) => row.settled_at !== null) ? rows : undefined;
        },
        30_000,
        'both charges settled',
      );
      const applied = settled.filter((row) => row.status === 'applied');
      const refunded = settled.filter((row) => row.status === 'refunded');
      assert.equal(applied.length, 1);
      assert.equal(refunded.length, 1);
      assert.equal(refunded[0]?.reason, 'second-charge');
      const payment = await getPayment(stack.database.pool, first.paymentId);
      assert.equal(payment?.external_id, applied[0]?.telegram_payment_charge_id, 'the applied charge completed the order');
      assert.deepEqual(refundCalls(applied[0]?.telegram_payment_charge_id ?? '').length, 0, 'the applied charge is never refunded');
      assert.deepEqual(
        refundCalls(refunded[0]?.telegram_payment_charge_id ?? '').map((call) => [call.ok, call.params['user_id']]),
        [[true, user.id]],
      );
      const told = await stack.telegram.waitFor(
        (call) => call.method === 'sendMessage' && call.chatId === user.id && String(call.params['text']).startsWith('We returned'),
        10_000,
      );
      assert.match(String(told.params['text']), new RegExp(`${first.stars} Stars`));
      assert.equal(await countAuditLogs(stack.database.pool, { action: 'stars_charge.refunded', entityId: refunded[0]?.id ?? 0 }), 1);
      await stack.temporal.client.workflow.getHandle(starsChargeWorkflowId(refunded[0]?.id ?? 0)).result();
      await maybeRecordHistory(stack.temporal.client, starsChargeWorkflowId(refunded[0]?.id ?? 0), 'stars-charge-second-charge-refunded');
      await eventually(
        async () => (alertsFor(`stars_charge_settled:${refunded[0]?.id ?? 0}`).length === 1 ? true : undefined),
        10_000,
        'the refund alert',
      );
      assert.equal(await keysDelivered(userId), 1, 'one key');
      assert.equal(await countAuditLogs(stack.database.pool, { action: 'payment.completed', entityId: first.paymentId }), 1);
    });
  });

  it('a duplicated successful_payment is stored and completed once', async () => {
    await withSystem(async () => {
      const { user, userId } = await newBuyer();
      const order = await starsOrder(userId);
      const paid = await stack.telegram.userPays(user, order.payload, { totalAmount: order.stars, deliveries: 3 });
      assert.ok(paid.status === 'paid');
      await keyArrives(userId);
      await eventually(
        async () => (stack.telegram.pendingUpdates().length === 0 ? true : undefined),
        10_000,
        'the bot to handle the updates',
      );
      const rows = await charges(order.paymentId);
      assert.deepEqual(
        rows.map((row) => row.status),
        ['applied'],
      );
      assert.equal(await countAuditLogs(stack.database.pool, { action: 'payment.completed', entityId: order.paymentId }), 1);
      assert.equal(refundCalls(paid.telegramPaymentChargeId).length, 0);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(await keysDelivered(userId), 1);
      assert.equal(
        stack.telegram
          .sent(user.id)
          .filter((call) => call.method === 'sendMessage' && String(call.params['text']).startsWith('Payment received')).length,
        1,
      );
    });
  });

  it('an order is not cancelled at its timeout while a charge for it is stored but not settled', async () => {
    await withSystem(async () => {
      const { user, userId } = await newBuyer();
      const target: PaymentWorkflowTarget = { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 0.05 };
      const purchases = createPurchaseService({
        db: stack.database.pool,
        payments: target,
        providers,
        starsKopecksPerStar: 180,
        invoiceWaitMs: 30_000,
      });
      const started = await purchases.startPurchase({ userId, planId, method: 'stars' });
      assert.ok(started.kind === 'stars-invoice');
      const paymentId = Number(started.payload.slice('order:'.length));
      // Stored, as the bot's first step does, but its settlement not started (the bot died right after).
      await recordStarsCharge(stack.database.pool, {
        telegramPaymentChargeId: `stxTEST${paymentId}`,
        telegramUserId: user.id,
        invoicePayload: started.payload,
        currency: 'XTR',
        totalAmount: started.stars,
        raw: { note: 'test' },
        recordedBy: 'bot',
        orderId: paymentId,
      });
      const ended = (await stack.temporal.client.workflow.getHandle(paymentWorkflowId(paymentId)).result()) as PaymentState;
      assert.notEqual(ended.phase, 'cancelled');
      assert.equal((await getPayment(stack.database.pool, paymentId))?.status, 'pending', 'not cancelled at the timeout');
      await reconcile();
      await keyArrives(userId);
      assert.equal((await getPayment(stack.database.pool, paymentId))?.status, 'completed');
    });
  });

  it('a settlement that cannot finish is parked with one operator alert, and the reconciler finishes it later', async () => {
    const starsApi = stack.deps.starsApi;
    let bought: { user: { id: number }; order: { payload: string; stars: number; paymentId: number }; chargeId: string } | undefined;
    await withSystem(async () => {
      const { user, userId } = await newBuyer();
      const order = await starsOrder(userId);
      const outcome = await stack.telegram.userPays(user, order.payload, { totalAmount: order.stars, deliveries: 0 });
      assert.ok(outcome.status === 'paid');
      bought = { user, order, chargeId: outcome.telegramPaymentChargeId };
    });
    assert.ok(bought);
    const { user, order } = bought;
    const paid = { telegramPaymentChargeId: bought.chargeId };
    const subscriptionId = (await getPayment(stack.database.pool, order.paymentId))?.subscription_id ?? 0;
    // The operator cancelled the order's subscription meanwhile: the charge must be refunded.
    await stack.database.pool.query(sql.unsafe`UPDATE subscriptions SET status = 'cancelled' WHERE id = ${subscriptionId}`);
    const { charge } = await recordStarsCharge(stack.database.pool, {
      telegramPaymentChargeId: paid.telegramPaymentChargeId,
      telegramUserId: user.id,
      invoicePayload: order.payload,
      currency: 'XTR',
      totalAmount: order.stars,
      raw: {},
      recordedBy: 'bot',
      orderId: order.paymentId,
    });
    stack.deps.starsApi = undefined; // this worker cannot reach the Bot API's Stars methods
    try {
      await withSystem(async () => {
        await startStarsChargeSettlement({ client: stack.temporal.client, taskQueue: stack.taskQueue }, charge.id);
        await assert.rejects(stack.temporal.client.workflow.getHandle(starsChargeWorkflowId(charge.id)).result());
      });
    } finally {
      stack.deps.starsApi = starsApi;
    }
    const parked = workerLogs.filter(
      (line) => line.includes('"alert":"work_parked"') && line.includes(`"key":"work_parked:stars-charge-${charge.id}"`),
    );
    assert.equal(parked.length, 1, 'operators told once');
    assert.equal(refundCalls(paid.telegramPaymentChargeId).length, 0);

    await withSystem(async () => {
      const result = await reconcile();
      assert.ok(result.started.includes(charge.id), 'the failed run is started again');
      await stack.temporal.client.workflow.getHandle(starsChargeWorkflowId(charge.id)).result();
    });
    const [settled] = await charges(order.paymentId);
    assert.deepEqual([settled?.status, settled?.reason, settled?.settled_at !== null], ['refunded', 'order-closed', true]);
    assert.deepEqual(
      refundCalls(paid.telegramPaymentChargeId).map((call) => call.ok),
      [true],
    );
    await stack.telegram.waitFor(
      (call) => call.method === 'sendMessage' && call.chatId === user.id && String(call.params['text']).startsWith('We returned'),
      10_000,
    );
    assert.match(alertsFor(`stars_charge_settled:${charge.id}`)[0] ?? '', /refunded to the payer \(order-closed/);
    assert.equal((await getPayment(stack.database.pool, order.paymentId))?.status, 'pending', 'never completed');
  });
});
