/**
 * The webhook inbox and the mismatch report end to end (issue 9, finding 8), on real servers:
 * Postgres, the Temporal dev server, a worker running the real payment workflow and activities
 * (with the stub subscription workflow of payment-test-workflows.ts), the api's webhook routes on
 * loopback and the fake YooKassa sending real notifications.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { sql } from 'slonik';
import { z } from 'zod';
import type { AlertInput, AlertResult } from '../../activities/contracts/alert-activities';
import { createActivities, type ActivityDeps } from '../../activities/create-activities';
import { createPaymentMismatchActivities, paymentMismatchAlertKey } from '../../activities/flag-payment-mismatch';
import { createNotificationDelivery } from '../../activities/notify-activities';
import { startFakeYooKassa, type FakeYooKassa } from '../../fakes/yookassa';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import type { PaymentProviderName } from '../../lib/payments/payment-errors';
import type { PaymentProvider } from '../../lib/payments/payment-provider';
import { createPaymentProviders, paymentFields, type PaymentProviders } from '../../lib/payments/payments-config';
import type { PaymentWorkflowTarget } from '../../clients/payment-workflow-client';
import { createPurchaseService, type PurchaseService } from '../../usecases/start-purchase';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { getPayment } from '../../sql/repositories/payments-repository';
import { newUser } from '../support/db-fixtures';
import type { PaymentRow } from '../../sql/schemas/payment-row';
import { createWorker } from '../../workers/create-worker';
import { paymentWorkflowId } from '../../workflows/contract';
import type { PaymentState, paymentWorkflow } from '../../workflows/payment-workflow';
import { receivedBySubscription as receivedPaymentsOf } from '../support/received-payments';
import { maybeRecordHistory } from '../support/record-history';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { createRecordingTelegram } from '../support/recording-telegram';
import { startWebhookApi } from '../support/webhook-api';
import { connectTestTemporal, eventually, type TestTemporal } from '../support/test-temporal';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../../workflows/subscription-lifecycle';

const TEST_WORKFLOWS = fileURLToPath(new URL('./payment-test-workflows.ts', import.meta.url));
const SHOP = { shopId: '123456', secretKey: 'test_s3cr3t-key' };

let database: TestDatabase;
let temporal: TestTemporal;
let app: FastifyInstance;
let yookassa: FakeYooKassa;
let worker: Worker;
let running: Promise<void>;
let target: PaymentWorkflowTarget;
let purchases: PurchaseService;
let planId: number;
const byName: Partial<Record<PaymentProviderName, PaymentProvider>> = {};
const providers: PaymentProviders = { byName, forMethod: () => byName.yookassa };
/** What the worker told users and operators. */
const { telegram, sentTexts } = createRecordingTelegram();
const alerts: AlertInput[] = [];
/** The alert contract as the alert store will keep it: each key delivered at most once. */
async function alertOperators(input: AlertInput): Promise<AlertResult> {
  const duplicate = alerts.some((alert) => alert.key === input.key);
  alerts.push(input);
  return { sent: !duplicate, duplicate, suppressed: false };
}

before(async () => {
  database = await createTestDatabase({ seed: true });
  temporal = await connectTestTemporal();
  const taskQueue = temporal.uniqueTaskQueue('webhook-inbox');
  // Long enough that only a handed-off webhook (not the timeout's last look) can complete in time.
  target = { client: temporal.client, taskQueue, timeoutMinutes: 10 };
  planId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = '1 месяц'`);

  const api = await startWebhookApi({ db: database.pool, providers, target });
  app = api.app;
  const { apiUrl } = api;
  yookassa = await startFakeYooKassa({
    ...SHOP,
    webhookUrl: `${apiUrl}/webhooks/yookassa`,
    sourceIpHeader: 'x-forwarded-for',
    webhookRetryDelaysMs: [20, 100, 250],
  });
  Object.assign(
    byName,
    createPaymentProviders(
      z.object(paymentFields).parse({
        YOOKASSA_SHOP_ID: SHOP.shopId,
        YOOKASSA_SECRET_KEY: SHOP.secretKey,
        YOOKASSA_API_URL: yookassa.apiUrl,
        PAYMENT_TIMEOUT_MS: '2000',
      }),
    ).byName,
  );

  const logger = createLogger({ level: 'silent' });
  const deps: ActivityDeps = {
    db: database.pool,
    logger,
    panels: createPanelResolver({ db: database.pool, secretBox: createSecretBox(randomBytes(32)), timeoutMs: 1_000 }),
    clientIdSalt: 'integration-test-salt-0123',
    publicBaseUrl: apiUrl,
    telegram,
    referralBonusKopecks: null,
    lifecycle: DEFAULT_LIFECYCLE_SETTINGS,
    payments: { providers, temporal: { client: temporal.client, taskQueue }, returnUrl: `${apiUrl}/payments/return` },
  };
  worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    deps,
    overrides: {
      workflowsPath: TEST_WORKFLOWS,
      // The real activities, with the operator alert channel recorded.
      activities: {
        ...createActivities(deps),
        ...createPaymentMismatchActivities({ db: database.pool, logger, deliver: createNotificationDelivery(deps), alertOperators }),
      },
    },
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
  await temporal?.close();
  await database?.drop();
});

async function cardPurchase(): Promise<{ payment: PaymentRow & { external_id: string; subscription_id: number }; telegramId: number }> {
  const user = await newUser(database.pool);
  const start = await purchases.startPurchase({ userId: user.id, planId, method: 'card' });
  assert.equal(start.kind, 'redirect');
  const id = await database.pool.oneFirst(
    sql.type(z.object({ id: z.number() }))`SELECT max(id) AS id FROM payments WHERE user_id = ${user.id}`,
  );
  const payment = await getPayment(database.pool, id);
  assert.ok(payment?.external_id && payment.subscription_id);
  return {
    payment: { ...payment, external_id: payment.external_id, subscription_id: payment.subscription_id },
    telegramId: user.telegram_id,
  };
}

async function paymentState(paymentId: number): Promise<PaymentState> {
  return temporal.client.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(paymentId)).query<PaymentState>('getPaymentState');
}

const receivedBySubscription = (subscriptionId: number) => receivedPaymentsOf(temporal.client, subscriptionId);

/** How many `confirmPayment` activities of the payment's workflow have completed. */
async function confirmationsDone(paymentId: number): Promise<number> {
  const { events } = await temporal.client.workflow.getHandle(paymentWorkflowId(paymentId)).fetchHistory();
  const confirms = new Set(
    (events ?? [])
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'confirmPayment')
      .map((event) => String(event.eventId)),
  );
  const asActivity = (events ?? []).filter((event) =>
    confirms.has(String(event.activityTaskCompletedEventAttributes?.scheduledEventId)),
  ).length;
  // confirmPayment runs as a local activity behind the `local-payment-steps` patch: its result is a
  // marker whose data payload names the activity type.
  const asLocal = (events ?? []).filter((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return false;
    const payloads = Object.values(marker.details ?? {}).flatMap((details) => details.payloads ?? []);
    return payloads.some((payload) => payload.data != null && Buffer.from(payload.data).toString('utf8').includes('"confirmPayment"'));
  }).length;
  return asActivity + asLocal;
}

async function inbox(eventKey: string) {
  return database.pool.one(sql.type(z.object({ status: z.string(), deliveries: z.number() }))`
    SELECT status, deliveries FROM webhook_events WHERE provider = 'yookassa' AND event_key = ${eventKey}`);
}

/** The inbox row once the api's dispatcher has processed its latest delivery (it answered before the hand-off). */
async function dispatched(eventKey: string) {
  return eventually(
    async () => {
      const row = await inbox(eventKey);
      return row.status === 'received' ? undefined : row;
    },
    10_000,
    `the dispatcher to process ${eventKey}`,
  );
}

describe('webhook inbox end to end', () => {
  it('a verified copy that proved nothing does not delay the genuine delivery of the same event', async (t) => {
    const { payment } = await cardPurchase();
    const key = `${payment.external_id}:payment.succeeded`;
    // An early copy of payment.succeeded from an allowed address, while YooKassa still says pending.
    yookassa.controls.notify('payment.succeeded', payment.external_id);
    await yookassa.controls.webhooks?.settled();
    assert.equal((await dispatched(key)).status, 'handed_off');
    await eventually(
      async () => ((await confirmationsDone(payment.id)) >= 1 ? true : undefined),
      10_000,
      'the early copy confirmed at the provider',
    );
    assert.equal((await getPayment(database.pool, payment.id))?.status, 'pending', 'the provider said pending: nothing settled');

    // The genuine notification carries the same event key; it must be handed off, not answered 'duplicate'.
    const paidAt = Date.now();
    yookassa.controls.pay(payment.external_id);
    const completed = await eventually(
      async () => ((await getPayment(database.pool, payment.id))?.status === 'completed' ? Date.now() : undefined),
      10_000,
      'completed by the genuine webhook',
    );
    assert.ok(completed - paidAt < 10_000);
    t.diagnostic(
      `completed ${completed - paidAt} ms after the genuine notification (before: answered 'duplicate', left to the reconciler or the timeout)`,
    );
    assert.deepEqual(await dispatched(key), { status: 'handed_off', deliveries: 2 });
    await eventually(
      async () => ((await receivedBySubscription(payment.subscription_id))?.includes(payment.id) ? true : undefined),
      10_000,
      'hand-off',
    );
    assert.equal((await paymentState(payment.id).catch(() => undefined))?.phase ?? 'completed', 'completed');

    // A redelivery now settles the event (the dispatcher finds the payment completed); the next is
    // a no-op that writes nothing (the api counts it in vless_webhook_duplicates_total).
    const [genuine] = yookassa.controls.webhooks?.deliveries.slice(-1) ?? [];
    assert.ok(genuine);
    yookassa.controls.duplicate(genuine);
    await yookassa.controls.webhooks?.settled();
    assert.deepEqual(await dispatched(key), { status: 'settled', deliveries: 3 });
    yookassa.controls.duplicate(genuine);
    await yookassa.controls.webhooks?.settled();
    assert.equal(yookassa.controls.webhooks?.deliveries.at(-1)?.state, 'delivered');
    assert.deepEqual(await inbox(key), { status: 'settled', deliveries: 3 });
    assert.deepEqual(await receivedBySubscription(payment.subscription_id), [payment.id]);
  });

  it('a paid order whose amount does not match reaches the user and the operators once, and is never provisioned', async () => {
    const { payment, telegramId } = await cardPurchase();
    const stored = yookassa.state.payments.get(payment.external_id);
    assert.ok(stored);
    stored.amount = { value: '1.00', currency: 'RUB' };
    yookassa.controls.pay(payment.external_id);
    const handle = temporal.client.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(payment.id));
    const final = await handle.result();
    await maybeRecordHistory(temporal.client, paymentWorkflowId(payment.id), 'payment-wrong-amount-reported');
    assert.deepEqual([final.phase, final.failureReason, final.subscriptionNotified], ['failed', 'order-mismatch', false]);

    const mine = () => alerts.filter((alert) => alert.paymentId === payment.id);
    assert.equal(mine().length, 1);
    assert.equal(mine()[0]?.kind, 'payment_mismatch');
    assert.equal(mine()[0]?.key, paymentMismatchAlertKey(payment.id));
    assert.equal(mine()[0]?.userId, payment.user_id);
    assert.match(mine()[0]?.summary ?? '', new RegExp(`Payment ${payment.id} .*amount.*expected 249\\.00 RUB.*1\\.00 RUB`));
    const told = () => sentTexts.filter((message) => message.chatId === telegramId);
    assert.equal(told().length, 1);
    assert.match(told()[0]?.text ?? '', /на проверке.*поддержка свяжется/s);

    // A redelivery wakes the payment again (a new run): the flag, the alert key and the message stay single.
    const [delivery] = yookassa.controls.webhooks?.deliveries.slice(-1) ?? [];
    assert.ok(delivery);
    yookassa.controls.duplicate(delivery);
    await yookassa.controls.webhooks?.settled();
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' && mine().length >= 2 ? true : undefined),
      15_000,
      'the second run reported',
    );
    assert.deepEqual(new Set(mine().map((alert) => alert.key)), new Set([paymentMismatchAlertKey(payment.id)]));
    assert.equal(told().length, 1, 'one message per payment');
    assert.equal(await countAuditLogs(database.pool, { action: 'payment.mismatch_flagged', entityId: payment.id }), 1);
    assert.equal((await getPayment(database.pool, payment.id))?.status, 'failed');
    assert.equal(await receivedBySubscription(payment.subscription_id), undefined, 'never provisioned');
  });
});
