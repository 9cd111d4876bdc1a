/**
 * The api's rate limits through fastify inject, on a real test database: `/sub/:token` per client
 * IP; webhooks throttle only requests that fail verification, so a provider's verified traffic
 * is never refused, even from an address that also sent forged requests. The webhook counter
 * records each outcome.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../lib/logger';
import { hmacSha256Hex } from '../lib/payments/hmac-signature';
import type { PaymentProviders } from '../lib/payments/payments-config';
import { createSandboxProvider, SANDBOX_SIGNATURE_HEADER } from '../lib/payments/sandbox';
import { createWebhookCounter } from '../lib/observability/process-metrics';
import { sandboxNotification, sandboxPayment } from '../test/support/sandbox-notification';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createApp, type AppDeps } from './create-app';

const SECRET = 'limit-test-secret';
const sandbox = createSandboxProvider({ baseUrl: 'http://127.0.0.1:1', secret: SECRET });
const providers: PaymentProviders = { byName: { sandbox }, forMethod: () => sandbox };
const TOKEN = 'A'.repeat(43);

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => database.drop());

function appWith(rateLimits: AppDeps['rateLimits'], registry = new Registry()) {
  return createApp({
    logger: createLogger({ level: 'silent' }),
    readinessChecks: {},
    db: database.pool,
    webhooks: { db: database.pool, providers, signalVerdict: async () => undefined },
    rateLimits,
    metrics: { webhooks: createWebhookCounter(registry) },
  });
}

async function paidNotification(): Promise<string> {
  return sandboxNotification(await sandboxPayment(database.pool));
}

describe('api rate limits', () => {
  it('limits /sub/:token per client IP', async () => {
    const app = appWith({ subPerMinute: 3 });
    const get = (remoteAddress: string) => app.inject({ method: 'GET', url: `/sub/${TOKEN}`, remoteAddress });
    for (let i = 0; i < 3; i += 1) assert.equal((await get('203.0.113.7')).statusCode, 404);
    const refused = await get('203.0.113.7');
    assert.equal(refused.statusCode, 429);
    assert.ok(refused.headers['retry-after'] !== undefined);
    assert.equal((await get('203.0.113.8')).statusCode, 404, 'another address has its own budget');
    await app.close();
  });

  it('never refuses verified webhooks, and cuts off a source of failed verifications', async () => {
    const registry = new Registry();
    const app = appWith({ failedWebhooksPerMinute: 2 }, registry);
    const post = (body: string, signature: string, remoteAddress = '198.51.100.4') =>
      app.inject({
        method: 'POST',
        url: '/webhooks/sandbox',
        remoteAddress,
        headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signature },
        payload: body,
      });

    // A sale: many verified webhooks from one provider address in a burst, far above any per-IP budget.
    for (let i = 0; i < 25; i += 1) {
      const body = await paidNotification();
      assert.equal((await post(body, hmacSha256Hex(SECRET, body))).statusCode, 200, `verified webhook ${i}`);
    }
    // Forgeries from one address: two are answered, then the address is cut off.
    const forged = await paidNotification();
    assert.equal((await post(forged, 'ab'.repeat(32), '192.0.2.9')).statusCode, 401);
    assert.equal((await post(forged, 'ab'.repeat(32), '192.0.2.9')).statusCode, 401);
    assert.equal((await post(forged, 'ab'.repeat(32), '192.0.2.9')).statusCode, 429);
    // The provider's own address, even after failures of its own, still gets verified ones through.
    assert.equal((await post('{}', 'cd'.repeat(32))).statusCode, 401);
    assert.equal((await post('{}', 'cd'.repeat(32))).statusCode, 401);
    assert.equal((await post('{}', 'cd'.repeat(32))).statusCode, 429);
    const body = await paidNotification();
    assert.equal((await post(body, hmacSha256Hex(SECRET, body))).statusCode, 200);

    const counted = await registry.getSingleMetricAsString('vless_webhooks_total');
    assert.match(counted, /vless_webhooks_total\{provider="sandbox",outcome="accepted"\} 26/);
    assert.match(counted, /vless_webhooks_total\{provider="sandbox",outcome="rejected"\} 4/);
    assert.match(counted, /vless_webhooks_total\{provider="sandbox",outcome="rate_limited"\} 2/);
    await app.close();
  });
});
