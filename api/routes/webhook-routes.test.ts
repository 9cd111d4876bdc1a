/**
 * The webhook route through fastify inject, on a real test database, with the sandbox provider
 * (HMAC over the raw body) and a recording verdict hand-off; the unreachable-Temporal case uses a
 * real Temporal client pointed at a closed port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { sql } from 'slonik';
import { z } from 'zod';
import { createLogger } from '../../lib/logger';
import { hmacSha256Hex } from '../../lib/payments/hmac-signature';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import { createSandboxProvider, SANDBOX_SIGNATURE_HEADER } from '../../lib/payments/sandbox';
import { signalPaymentVerdict } from '../../lib/purchases/payment-workflow-client';
import { createPayment, setPaymentExternalId } from '../../sql/repositories/payments-repository';
import { newUser, testActor } from '../../sql/repositories/test-fixtures';
import type { PaymentRow } from '../../sql/schemas/payment-row';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { installQuietRuntime } from '../../test/support/test-temporal';
import { createApp, type AppDeps } from '../create-app';
import type { WebhookRouteOptions } from './webhook-routes';

const SECRET = 'route-test-secret';
const sandbox = createSandboxProvider({ baseUrl: 'http://127.0.0.1:1', secret: SECRET });
const providers: PaymentProviders = { byName: { sandbox }, forMethod: () => sandbox };

let database: TestDatabase;
const signals: Array<{ paymentId: number; kind: string | undefined }> = [];
let failHandOff = false;

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

function appWith(signalVerdict: WebhookRouteOptions['signalVerdict'], rateLimits?: AppDeps['rateLimits']): FastifyInstance {
  return createApp({
    logger: createLogger({ level: 'silent' }),
    readinessChecks: {},
    webhooks: { db: database.pool, providers, signalVerdict },
    rateLimits,
  });
}

const recording: WebhookRouteOptions['signalVerdict'] = async (payment, hint) => {
  if (failHandOff) throw new Error('temporal down');
  signals.push({ paymentId: payment.id, kind: hint.kind });
};

async function sandboxPayment(): Promise<PaymentRow> {
  const user = await newUser(database.pool);
  const { payment } = await createPayment(database.pool, { userId: user.id, subscriptionId: null, amount: '249.00', method: 'card', provider: 'sandbox', actor: testActor });
  return setPaymentExternalId(database.pool, { paymentId: payment.id, externalId: `inv-${payment.id}`, actor: testActor });
}

function notification(payment: { id: number; external_id: string | null }, event = 'payment.succeeded'): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    event,
    invoice: {
      id: payment.external_id,
      orderId: payment.id,
      amount: '249.00',
      currency: 'RUB',
      description: 'VPN',
      method: 'card',
      returnUrl: 'https://t.me/bot',
      status: 'succeeded',
      createdAt: now,
      expiresAt: now,
      paidAt: now,
      refundedAmount: '0.00',
    },
  });
}

function post(app: FastifyInstance, body: string, options: { signature?: string; provider?: string } = {}) {
  return app.inject({
    method: 'POST',
    url: `/webhooks/${options.provider ?? 'sandbox'}`,
    headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: options.signature ?? hmacSha256Hex(SECRET, body) },
    payload: body,
  });
}

async function inboxCount(eventKey: string): Promise<number> {
  return database.pool.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM webhook_events WHERE event_key = ${eventKey}`);
}

describe('POST /webhooks/:provider', () => {
  it('answers 401 to a forged signature and stores nothing', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment();
    const response = await post(app, notification(payment), { signature: 'ab'.repeat(32) });
    assert.equal(response.statusCode, 401);
    assert.equal(await inboxCount(`${payment.external_id}:payment.succeeded`), 0);
    assert.equal((await post(app, notification(payment), { signature: '' })).statusCode, 401);
    await app.close();
  });

  it('answers 400 to a signed body that is not the provider shape, 404 to unknown providers', async () => {
    const app = appWith(recording);
    assert.equal((await post(app, '{"hello":"world"}')).statusCode, 400);
    assert.equal((await post(app, 'not json')).statusCode, 400);
    assert.equal((await post(app, '{}', { provider: 'paypal' })).statusCode, 404);
    assert.equal((await post(app, '{}', { provider: 'yookassa' })).statusCode, 404);
    await app.close();
  });

  it('stores, signals once and answers 200; a duplicate is a no-op 200', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment();
    const body = notification(payment);
    signals.length = 0;
    const first = await post(app, body);
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json(), { status: 'accepted' });
    const second = await post(app, body);
    assert.equal(second.statusCode, 200);
    assert.deepEqual(second.json(), { status: 'duplicate' });
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    assert.equal(await inboxCount(`${payment.external_id}:payment.succeeded`), 1);
    await app.close();
  });

  it('stores and answers 200 to an event about no payment of ours, without signalling', async () => {
    const app = appWith(recording);
    signals.length = 0;
    const body = notification({ id: 999_999, external_id: 'inv-unknown' });
    const response = await post(app, body);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ignored' });
    assert.equal(signals.length, 0);
    assert.equal(await inboxCount('inv-unknown:payment.succeeded'), 1);
    await app.close();
  });

  it('answers 503 when the hand-off fails, and hands off on the redelivery', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment();
    const body = notification(payment);
    signals.length = 0;
    failHandOff = true;
    assert.equal((await post(app, body)).statusCode, 503);
    failHandOff = false;
    const retry = await post(app, body);
    assert.equal(retry.statusCode, 200);
    assert.deepEqual(retry.json(), { status: 'accepted' });
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    await app.close();
  });

  it('answers 503 when Temporal is unreachable (real client, closed port)', async () => {
    installQuietRuntime();
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 300 });
    const client = new Client({ connection });
    const target = { client, taskQueue: 'nowhere', timeoutMinutes: 1 };
    const app = appWith((payment, hint) => client.withDeadline(Date.now() + 2_000, () => signalPaymentVerdict(target, payment, hint)));
    const payment = await sandboxPayment();
    const response = await post(app, notification(payment));
    assert.equal(response.statusCode, 503);
    const status = await database.pool.oneFirst(sql.type(z.object({ status: z.string() }))`
      SELECT status FROM webhook_events WHERE event_key = ${`${payment.external_id}:payment.succeeded`}`);
    assert.equal(status, 'failed');
    await app.close();
    await connection.close();
  });

  it('refuses bodies over 64 KiB and rate-limits failed verifications per IP', async () => {
    const app = appWith(recording, { failedWebhooksPerMinute: 1 });
    const big = 'x'.repeat(64 * 1024 + 1);
    assert.equal((await post(app, big)).statusCode, 413);
    assert.equal((await post(app, '{}')).statusCode, 400);
    assert.equal((await post(app, '{}')).statusCode, 429);
    await app.close();
  });
});
