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
import { signalPaymentVerdict } from '../../clients/payment-workflow-client';
import { markPaymentCompleted } from '../../sql/repositories/payments-repository';
import { testActor } from '../../test/support/db-fixtures';
import { sandboxNotification, sandboxPayment } from '../../test/support/sandbox-notification';
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

async function inboxRow(eventKey: string) {
  return database.pool.one(sql.type(z.object({ status: z.string(), deliveries: z.number(), kept: z.number(), sanitized: z.boolean() }))`
    SELECT status, deliveries, sanitized, (SELECT count(*)::int FROM webhook_event_deliveries d WHERE d.webhook_event_id = e.id) AS kept
    FROM webhook_events e WHERE event_key = ${eventKey}`);
}

describe('POST /webhooks/:provider', () => {
  it('answers 401 to a forged signature and stores nothing, so the genuine delivery is still handed off', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    signals.length = 0;
    const response = await post(app, sandboxNotification(payment), { signature: 'ab'.repeat(32) });
    assert.equal(response.statusCode, 401);
    assert.equal(await inboxCount(`${payment.external_id}:payment.succeeded`), 0);
    assert.equal((await post(app, sandboxNotification(payment), { signature: '' })).statusCode, 401);
    const genuine = await post(app, sandboxNotification(payment));
    assert.deepEqual([genuine.statusCode, genuine.json()], [200, { status: 'accepted' }]);
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
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

  it('a delivery that settled nothing does not make the next one a duplicate', async () => {
    // The first copy arrives while the provider still says pending (or it is a spoofed copy from an
    // allowed address): the workflow re-reads the provider and nothing changes. The genuine
    // delivery of the same event must be handed off again, not answered 'duplicate'.
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const body = sandboxNotification(payment);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    const early = await post(app, body);
    assert.deepEqual([early.statusCode, early.json()], [200, { status: 'accepted' }]);
    assert.equal((await inboxRow(key)).status, 'handed_off');
    const genuine = await post(app, body);
    assert.deepEqual([genuine.statusCode, genuine.json()], [200, { status: 'accepted' }]);
    assert.deepEqual(signals, [
      { paymentId: payment.id, kind: 'succeeded' },
      { paymentId: payment.id, kind: 'succeeded' },
    ]);
    assert.deepEqual(await inboxRow(key), { status: 'handed_off', deliveries: 2, kept: 1, sanitized: false });
    assert.equal(await inboxCount(key), 1);
    await app.close();
  });

  it('a verified copy naming another order does not shadow the genuine event with the same key', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    const spoofed = await post(app, sandboxNotification({ id: 999_998, external_id: payment.external_id }));
    assert.deepEqual([spoofed.statusCode, spoofed.json()], [200, { status: 'ignored' }]);
    assert.equal((await inboxRow(key)).status, 'ignored');
    const genuine = await post(app, sandboxNotification(payment));
    assert.deepEqual([genuine.statusCode, genuine.json()], [200, { status: 'accepted' }]);
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    assert.deepEqual(await inboxRow(key), { status: 'handed_off', deliveries: 2, kept: 1, sanitized: false });
    await app.close();
  });

  it('a repeat once the payment is settled settles the event; later repeats are cheap no-ops', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const body = sandboxNotification(payment);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    assert.deepEqual((await post(app, body)).json(), { status: 'accepted' });
    await markPaymentCompleted(database.pool, { paymentId: payment.id, actor: testActor });
    const settling = await post(app, body);
    assert.deepEqual([settling.statusCode, settling.json()], [200, { status: 'duplicate' }]);
    assert.equal((await inboxRow(key)).status, 'settled');
    const again = await post(app, body);
    assert.deepEqual([again.statusCode, again.json()], [200, { status: 'duplicate' }]);
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    assert.deepEqual(await inboxRow(key), { status: 'settled', deliveries: 3, kept: 1, sanitized: false });
    await app.close();
  });

  it('a first delivery for a payment already completed is settled at once, without a signal', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    await markPaymentCompleted(database.pool, { paymentId: payment.id, actor: testActor });
    signals.length = 0;
    const response = await post(app, sandboxNotification(payment));
    assert.deepEqual([response.statusCode, response.json()], [200, { status: 'ignored' }]);
    assert.equal((await inboxRow(`${payment.external_id}:payment.succeeded`)).status, 'settled');
    assert.equal(signals.length, 0);
    await app.close();
  });

  it('stores signed bodies with NUL (\\u0000) or a lone surrogate and answers 200, on every redelivery', async () => {
    const app = appWith(recording);
    for (const description of ['VPN\u0000order', 'VPN \ud800 order', '\udc00']) {
      const payment = await sandboxPayment(database.pool);
      const body = sandboxNotification(payment, 'payment.succeeded', description);
      assert.ok(body.includes('\\u0000') || /\\ud[89a-f]/.test(body), 'JSON.stringify escapes them');
      signals.length = 0;
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await post(app, body);
        assert.deepEqual([response.statusCode, response.json()], [200, { status: 'accepted' }], `${JSON.stringify(description)} attempt ${attempt}`);
      }
      assert.equal(signals.length, 2);
      assert.deepEqual(await inboxRow(`${payment.external_id}:payment.succeeded`), { status: 'handed_off', deliveries: 2, kept: 1, sanitized: true });
    }
    await app.close();
  });

  it('a signed event whose ids Postgres cannot hold is stored and ignored, never 503', async () => {
    const app = appWith(recording);
    signals.length = 0;
    for (const id of ['inv-\u0000', 'inv-\ud800']) {
      const body = sandboxNotification({ id: 999_999, external_id: id });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await post(app, body);
        assert.deepEqual([response.statusCode, response.json()], [200, { status: 'ignored' }], `${JSON.stringify(id)} attempt ${attempt}`);
      }
    }
    const orderTooBig = sandboxNotification({ id: 3_000_000_000, external_id: 'inv-big' });
    assert.deepEqual((await post(app, orderTooBig)).json(), { status: 'ignored' });
    assert.equal(signals.length, 0);
    await app.close();
  });

  it('a deeply nested signed body is stored as bytes (payload dropped), answered 200 or 400, never 503', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const depth = 5_000;
    const body = sandboxNotification(payment).replace(/}$/, `,"extra":${'['.repeat(depth)}"bottom"${']'.repeat(depth)}}`);
    const response = await post(app, body);
    assert.ok([200, 400].includes(response.statusCode), `status ${response.statusCode}`);
    if (response.statusCode === 200) assert.deepEqual(await inboxRow(`${payment.external_id}:payment.succeeded`), { status: 'handed_off', deliveries: 1, kept: 0, sanitized: true });
    await app.close();
  });

  it('stores and answers 200 to an event about no payment of ours, without signalling', async () => {
    const app = appWith(recording);
    signals.length = 0;
    const body = sandboxNotification({ id: 999_999, external_id: 'inv-unknown' });
    const response = await post(app, body);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ignored' });
    assert.equal(signals.length, 0);
    assert.equal(await inboxCount('inv-unknown:payment.succeeded'), 1);
    await app.close();
  });

  it('answers 503 when the hand-off fails, and hands off on the redelivery', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const body = sandboxNotification(payment);
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
    const payment = await sandboxPayment(database.pool);
    const response = await post(app, sandboxNotification(payment));
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
