/**
 * The webhook route through fastify inject, on a real test database, with the sandbox provider
 * (HMAC over the raw body) and a recording verdict hand-off that the app's dispatcher calls after
 * the answer; the unreachable-Temporal case uses a real Temporal client pointed at a closed port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { sql } from 'slonik';
import { z } from 'zod';
import type { DatabasePool } from '../../lib/db/create-pool';
import { createLogger } from '../../lib/logger';
import { createWebhookCounter, createWebhookDuplicateCounter } from '../../lib/observability/process-metrics';
import { hmacSha256Hex } from '../../lib/payments/hmac-signature';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import { createSandboxProvider, SANDBOX_SIGNATURE_HEADER } from '../../lib/payments/sandbox';
import { signalPaymentVerdict } from '../../clients/payment-workflow-client';
import { markPaymentCompleted } from '../../sql/repositories/payments-repository';
import { testActor } from '../../test/support/db-fixtures';
import { sandboxNotification, sandboxPayment } from '../../test/support/sandbox-notification';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { eventually, installQuietRuntime } from '../../test/support/test-temporal';
import { createApp, type AppDeps } from '../create-app';
import { registerWebhookRoutes, type WebhookRouteOptions } from './webhook-routes';

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

let registry = new Registry();

/** The app as production builds it; its dispatcher polls every 50 ms (a failed hand-off is retried after 1 s). */
function appWith(signalVerdict: WebhookRouteOptions['signalVerdict'], rateLimits?: AppDeps['rateLimits']): FastifyInstance {
  registry = new Registry();
  return createApp({
    logger: createLogger({ level: 'silent' }),
    readinessChecks: {},
    webhooks: { db: database.pool, providers, signalVerdict, dispatch: { pollMs: 50 } },
    rateLimits,
    metrics: { webhooks: createWebhookCounter(registry), webhookDuplicates: createWebhookDuplicateCounter(registry) },
  });
}

/** `vless_webhook_duplicates_total` for the sandbox in the current app's registry. */
async function duplicatesCounted(): Promise<number> {
  const metric = await registry.getSingleMetric('vless_webhook_duplicates_total')?.get();
  return metric?.values.find((value) => value.labels['provider'] === 'sandbox')?.value ?? 0;
}

/** Waits until the dispatcher has processed the event (it is no longer 'received') and returns its row. */
async function dispatched(eventKey: string) {
  return eventually(
    async () => {
      const row = await inboxRow(eventKey);
      return row.status === 'received' ? undefined : row;
    },
    10_000,
    `the dispatcher to process ${eventKey}`,
  );
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
  return database.pool.oneFirst(
    sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM webhook_events WHERE event_key = ${eventKey}`,
  );
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
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    const response = await post(app, sandboxNotification(payment), { signature: 'ab'.repeat(32) });
    assert.equal(response.statusCode, 401);
    assert.equal(await inboxCount(key), 0);
    assert.equal((await post(app, sandboxNotification(payment), { signature: '' })).statusCode, 401);
    const genuine = await post(app, sandboxNotification(payment));
    assert.deepEqual([genuine.statusCode, genuine.json()], [200, { status: 'accepted' }]);
    assert.equal((await dispatched(key)).status, 'handed_off');
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    await app.close();
  });

  it('verifies before any query: forged, malformed and unknown-provider requests never touch the database; a settled duplicate is one statement', async () => {
    // The route alone (no dispatcher polling the same pool), on a pool that counts every call.
    const calls: string[] = [];
    const spy = new Proxy(database.pool, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as DatabasePool;
    const app = Fastify({ loggerInstance: createLogger({ level: 'silent' }) as FastifyBaseLogger });
    let woken = 0;
    registerWebhookRoutes(app, { db: spy, providers, signalVerdict: recording }, { stored: () => (woken += 1) });
    const payment = await sandboxPayment(database.pool);
    const body = sandboxNotification(payment);
    assert.equal((await post(app, body, { signature: 'ab'.repeat(32) })).statusCode, 401);
    assert.equal((await post(app, body, { signature: '' })).statusCode, 401);
    assert.equal((await post(app, '{"hello":"world"}')).statusCode, 400);
    assert.equal((await post(app, body, { provider: 'paypal' })).statusCode, 404);
    assert.deepEqual(calls, [], 'no database call for a request that failed verification');

    assert.deepEqual((await post(app, body)).json(), { status: 'accepted' });
    assert.deepEqual([calls.length, woken], [1, 1], 'a first delivery is stored in one statement and wakes the dispatcher');
    await database.pool.query(
      sql.unsafe`UPDATE webhook_events SET status = 'settled', processed_at = now() WHERE event_key = ${`${payment.external_id}:payment.succeeded`}`,
    );
    calls.length = 0;
    assert.deepEqual((await post(app, body)).json(), { status: 'duplicate' });
    assert.deepEqual([calls, woken], [['maybeOne'], 1], 'a repeat of a settled event is one statement and wakes nothing');
    assert.deepEqual((await post(app, body)).json(), { status: 'duplicate' });
    assert.deepEqual(calls, ['maybeOne'], 'known settled: answered without a statement');
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

  it('answers before the hand-off: the answer does not wait for Temporal', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: WebhookRouteOptions['signalVerdict'] = async (payment, hint) => {
      await gate;
      await recording(payment, hint);
    };
    const app = appWith(slow);
    const payment = await sandboxPayment(database.pool);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    const response = await post(app, sandboxNotification(payment));
    assert.deepEqual([response.statusCode, response.json()], [200, { status: 'accepted' }]);
    assert.equal((await inboxRow(key)).status, 'received', 'committed to the inbox, not handed off yet');
    assert.equal(signals.length, 0);
    release();
    assert.equal((await dispatched(key)).status, 'handed_off');
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
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
    assert.equal((await dispatched(key)).status, 'handed_off');
    const genuine = await post(app, body);
    assert.deepEqual([genuine.statusCode, genuine.json()], [200, { status: 'accepted' }]);
    assert.deepEqual(await dispatched(key), { status: 'handed_off', deliveries: 2, kept: 1, sanitized: false });
    assert.deepEqual(signals, [
      { paymentId: payment.id, kind: 'succeeded' },
      { paymentId: payment.id, kind: 'succeeded' },
    ]);
    assert.equal(await inboxCount(key), 1);
    await app.close();
  });

  it('a verified copy naming another order does not shadow the genuine event with the same key', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    const spoofed = await post(app, sandboxNotification({ id: 999_998, external_id: payment.external_id }));
    assert.deepEqual([spoofed.statusCode, spoofed.json()], [200, { status: 'accepted' }]);
    assert.equal((await dispatched(key)).status, 'ignored');
    const genuine = await post(app, sandboxNotification(payment));
    assert.deepEqual([genuine.statusCode, genuine.json()], [200, { status: 'accepted' }]);
    assert.deepEqual(await dispatched(key), { status: 'handed_off', deliveries: 2, kept: 1, sanitized: false });
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    await app.close();
  });

  it('a repeat once the payment is settled settles the event; later repeats are no-ops counted in a metric', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const body = sandboxNotification(payment);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    assert.deepEqual((await post(app, body)).json(), { status: 'accepted' });
    assert.equal((await dispatched(key)).status, 'handed_off');
    await markPaymentCompleted(database.pool, { paymentId: payment.id, actor: testActor });
    const settling = await post(app, body);
    assert.deepEqual([settling.statusCode, settling.json()], [200, { status: 'accepted' }]);
    assert.equal((await dispatched(key)).status, 'settled');
    assert.equal(await duplicatesCounted(), 0);
    for (let repeat = 0; repeat < 3; repeat += 1) {
      const again = await post(app, body);
      assert.deepEqual([again.statusCode, again.json()], [200, { status: 'duplicate' }]);
    }
    assert.equal(await duplicatesCounted(), 3);
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    assert.deepEqual(await inboxRow(key), { status: 'settled', deliveries: 2, kept: 1, sanitized: false }, 'the no-ops wrote nothing');
    await app.close();
  });

  it('a first delivery for a payment already completed is settled, without a signal', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    await markPaymentCompleted(database.pool, { paymentId: payment.id, actor: testActor });
    signals.length = 0;
    const response = await post(app, sandboxNotification(payment));
    assert.deepEqual([response.statusCode, response.json()], [200, { status: 'accepted' }]);
    assert.equal((await dispatched(`${payment.external_id}:payment.succeeded`)).status, 'settled');
    assert.equal(signals.length, 0);
    await app.close();
  });

  it('stores signed bodies with NUL (\\u0000) or a lone surrogate and answers 200, on every redelivery', async () => {
    const app = appWith(recording);
    for (const description of ['VPN\u0000order', 'VPN \ud800 order', '\udc00']) {
      const payment = await sandboxPayment(database.pool);
      const body = sandboxNotification(payment, 'payment.succeeded', description);
      const key = `${payment.external_id}:payment.succeeded`;
      assert.ok(body.includes('\\u0000') || /\\ud[89a-f]/.test(body), 'JSON.stringify escapes them');
      signals.length = 0;
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await post(app, body);
        assert.deepEqual(
          [response.statusCode, response.json()],
          [200, { status: 'accepted' }],
          `${JSON.stringify(description)} attempt ${attempt}`,
        );
        await dispatched(key);
      }
      assert.equal(signals.length, 2);
      assert.deepEqual(await inboxRow(key), { status: 'handed_off', deliveries: 2, kept: 1, sanitized: true });
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
        assert.deepEqual([response.statusCode, response.json()], [200, { status: 'accepted' }], `${JSON.stringify(id)} attempt ${attempt}`);
      }
    }
    const orderTooBig = sandboxNotification({ id: 3_000_000_000, external_id: 'inv-big' });
    assert.deepEqual((await post(app, orderTooBig)).json(), { status: 'accepted' });
    assert.equal((await dispatched('inv-big:payment.succeeded')).status, 'ignored');
    await eventually(
      async () =>
        (await database.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM webhook_events WHERE status = 'received'`)) === 0
          ? true
          : undefined,
      10_000,
      'all dispatched',
    );
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
    if (response.statusCode === 200)
      assert.deepEqual(await dispatched(`${payment.external_id}:payment.succeeded`), {
        status: 'handed_off',
        deliveries: 1,
        kept: 0,
        sanitized: true,
      });
    await app.close();
  });

  it('stores and answers 200 to an event about no payment of ours; the dispatcher ignores it without signalling', async () => {
    const app = appWith(recording);
    signals.length = 0;
    const body = sandboxNotification({ id: 999_999, external_id: 'inv-unknown' });
    const response = await post(app, body);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'accepted' });
    assert.equal((await dispatched('inv-unknown:payment.succeeded')).status, 'ignored');
    assert.equal(signals.length, 0);
    assert.equal(await inboxCount('inv-unknown:payment.succeeded'), 1);
    await app.close();
  });

  it('answers 200 while the hand-off fails; the dispatcher retries until it goes through, once', async () => {
    const app = appWith(recording);
    const payment = await sandboxPayment(database.pool);
    const key = `${payment.external_id}:payment.succeeded`;
    signals.length = 0;
    failHandOff = true;
    try {
      assert.deepEqual((await post(app, sandboxNotification(payment))).json(), { status: 'accepted' });
      const retrying = await eventually(
        async () => {
          const row = await database.pool.one(sql.type(
            z.object({ status: z.string(), attempts: z.number(), error: z.string().nullable() }),
          )`
          SELECT status, dispatch_attempts AS attempts, error FROM webhook_events WHERE event_key = ${key}`);
          return row.attempts >= 1 ? row : undefined;
        },
        10_000,
        'a failed hand-off',
      );
      assert.deepEqual(retrying, { status: 'received', attempts: 1, error: 'hand-off failed: Error' });
    } finally {
      failHandOff = false;
    }
    assert.equal((await dispatched(key)).status, 'handed_off');
    assert.deepEqual(signals, [{ paymentId: payment.id, kind: 'succeeded' }]);
    await app.close();
  });

  it('answers 503 when the inbox cannot store the delivery', async () => {
    const broken = new Proxy(database.pool, {
      get(target, property, receiver) {
        if (property === 'maybeOne') return async () => Promise.reject(new Error('connection terminated'));
        return Reflect.get(target, property, receiver) as unknown;
      },
    }) as DatabasePool;
    const app = Fastify({ loggerInstance: createLogger({ level: 'silent' }) as FastifyBaseLogger });
    registerWebhookRoutes(app, { db: broken, providers, signalVerdict: recording }, { stored: () => undefined });
    const payment = await sandboxPayment(database.pool);
    const response = await post(app, sandboxNotification(payment));
    assert.deepEqual([response.statusCode, response.json()], [503, { error: 'try again later' }]);
    await app.close();
  });

  it('keeps the event received when Temporal is unreachable (real client, closed port)', async () => {
    installQuietRuntime();
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 300 });
    const client = new Client({ connection });
    const target = { client, taskQueue: 'nowhere', timeoutMinutes: 1 };
    const app = appWith((payment, hint) => client.withDeadline(Date.now() + 2_000, () => signalPaymentVerdict(target, payment, hint)));
    const payment = await sandboxPayment(database.pool);
    const response = await post(app, sandboxNotification(payment));
    assert.deepEqual([response.statusCode, response.json()], [200, { status: 'accepted' }]);
    const row = await eventually(
      async () => {
        const current = await database.pool.one(sql.type(z.object({ status: z.string(), attempts: z.number() }))`
        SELECT status, dispatch_attempts AS attempts FROM webhook_events WHERE event_key = ${`${payment.external_id}:payment.succeeded`}`);
        return current.attempts >= 1 ? current : undefined;
      },
      10_000,
      'the failed hand-off recorded',
    );
    assert.equal(row.status, 'received', 'kept for the next attempt');
    await app.close();
    await connection.close();
    // Not for the next test's dispatcher.
    await database.pool.query(sql.unsafe`DELETE FROM webhook_events WHERE event_key = ${`${payment.external_id}:payment.succeeded`}`);
  });

  it('refuses bodies over 64 KiB and rate-limits failed verifications per IP, never verified ones', async () => {
    const app = appWith(recording, { failedWebhooksPerMinute: 1 });
    const big = 'x'.repeat(64 * 1024 + 1);
    assert.equal((await post(app, big)).statusCode, 413);
    assert.equal((await post(app, '{}')).statusCode, 400);
    assert.equal((await post(app, '{}')).statusCode, 429);
    // The same source, over its limit, posting verified webhooks: a provider during a sale.
    for (let index = 0; index < 20; index += 1) {
      const payment = await sandboxPayment(database.pool);
      assert.equal((await post(app, sandboxNotification(payment))).statusCode, 200);
    }
    await app.close();
  });
});
