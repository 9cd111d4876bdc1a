import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { cancelSubscription, setSubscriptionClient } from '../../sql/repositories/subscriptions-repository';
import { newActiveSubscription, newSubscription, testActor } from '../../test/support/db-fixtures';
import type { SubscriptionRow } from '../../sql/schemas/subscription-row';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { createApp } from '../create-app';
import { subscriptionFeed } from './subscription-feed-route';

const LIMIT = 100 * 1024 ** 3;
const KEY = [
  'vless://5f1e7a52-3c1b-5d7e-9a40-0e6f1c2d3b4a@vpn.example.com:443?type=tcp&encryption=none&security=reality&pbk=Z84J&fp=chrome&sni=www.microsoft.com&sid=6ba85179e30d4fc2&spx=%2F&flow=xtls-rprx-vision#Server-1',
  'vless://5f1e7a52-3c1b-5d7e-9a40-0e6f1c2d3b4a@edge1.example.net:443?type=tcp&security=tls#Server-1-EU',
].join('\n');
let db: TestDatabase;
let pool: DatabasePool;
let app: FastifyInstance;
let planId: number;
const logLines: string[] = [];

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
  planId = await pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO subscription_plans (name, duration_days, price_rub, features)
    VALUES ('feed 100 GiB', 30, 149.00, ${sql.jsonb({ traffic_limit: LIMIT, devices: 2 })}) RETURNING id
  `);
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  app = createApp({ logger, readinessChecks: {}, db: pool, subscriptionFeed: { profileTitle: 'Мой VPN' } });
  await app.ready();
});
after(async () => {
  await app.close();
  await db.drop();
});

async function provisioned(): Promise<SubscriptionRow> {
  const row = await newActiveSubscription(pool, { planId });
  await pool.query(
    sql.unsafe`UPDATE subscriptions SET traffic_up = 1456, traffic_down = 122000, traffic_used = 123456 WHERE id = ${row.id}`,
  );
  return setSubscriptionClient(pool, {
    subscriptionId: row.id,
    xuiClientUuid: randomUUID(),
    xuiEmail: `sub-${row.id}-feedtest`,
    xuiSubId: `feed${row.id}`,
    xuiInboundId: 1,
    vpnKey: KEY,
    qrCode: null,
    actor: testActor,
  });
}

const get = (token: string) => app.inject({ method: 'GET', url: `/sub/${token}` });
const userinfo = (header: unknown) =>
  Object.fromEntries(
    String(header)
      .split(';')
      .map((part) => part.trim().split('='))
      .map(([key, value]) => [key, Number(value)]),
  );

describe('GET /sub/:token', () => {
  it("active: the base64 link list with the userinfo headers (upload and download apart, total = the plan's traffic limit)", async () => {
    const row = await provisioned();
    const response = await get(row.sub_token);
    assert.equal(response.statusCode, 200);
    assert.equal(Buffer.from(response.body, 'base64').toString('utf8'), `${KEY}\n`);
    assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
    assert.deepEqual(userinfo(response.headers['subscription-userinfo']), {
      upload: 1456,
      download: 122000,
      total: LIMIT,
      expire: Math.floor((row.end_date?.getTime() ?? 0) / 1000),
    });
    assert.equal(response.headers['profile-title'], `base64:${Buffer.from('Мой VPN').toString('base64')}`);
    assert.equal(response.headers['profile-update-interval'], '12');
    assert.equal(response.headers['x-subscription-status'], 'active');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.ok(!logLines.some((line) => line.includes(row.sub_token)), 'the token must not be logged');
    assert.ok(logLines.some((line) => line.includes('/sub/[redacted]')));
  });

  it('expired: 200 with an empty body, expire in the past and x-subscription-status expired', async () => {
    const row = await provisioned();
    await pool.query(sql.unsafe`
      UPDATE subscriptions SET status = 'expired', start_date = now() - interval '31 days', end_date = now() - interval '1 day'
      WHERE id = ${row.id}`);
    const response = await get(row.sub_token);
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '');
    assert.equal(response.headers['x-subscription-status'], 'expired');
    const info = userinfo(response.headers['subscription-userinfo']);
    assert.ok(info['expire'] !== undefined && info['expire'] > 0 && info['expire'] < Date.now() / 1000);
    assert.equal(info['total'], LIMIT);
  });

  it('active past its end_date counts as expired; cancelled and pending get the same empty answer', async () => {
    const lapsed = await provisioned();
    await pool.query(
      sql.unsafe`UPDATE subscriptions SET start_date = now() - interval '31 days', end_date = now() - interval '1 minute' WHERE id = ${lapsed.id}`,
    );
    const lapsedResponse = await get(lapsed.sub_token);
    assert.equal(lapsedResponse.body, '');
    assert.equal(lapsedResponse.headers['x-subscription-status'], 'expired');

    const cancelled = await provisioned();
    await cancelSubscription(pool, { subscriptionId: cancelled.id, actor: testActor });
    const cancelledResponse = await get(cancelled.sub_token);
    assert.equal(cancelledResponse.statusCode, 200);
    assert.equal(cancelledResponse.body, '');
    assert.equal(cancelledResponse.headers['x-subscription-status'], 'cancelled');
    assert.ok((userinfo(cancelledResponse.headers['subscription-userinfo'])['expire'] ?? Infinity) <= Date.now() / 1000);

    const pending = await newSubscription(pool);
    const pendingResponse = await get(pending.sub_token);
    assert.equal(pendingResponse.statusCode, 200);
    assert.equal(pendingResponse.body, '');
    assert.equal(pendingResponse.headers['x-subscription-status'], 'pending');
    assert.match(String(pendingResponse.headers['subscription-userinfo']), /^upload=0; download=0; total=0; expire=[1-9]\d*$/);
  });

  it('unknown and malformed tokens: 404 with a short plain-text body', async () => {
    for (const token of ['A'.repeat(43), 'short', `${'x'.repeat(40)}!!!`, 'x'.repeat(65)]) {
      const response = await get(encodeURIComponent(token));
      assert.equal(response.statusCode, 404, token);
      assert.equal(response.body, 'Not found\n');
      assert.match(String(response.headers['content-type']), /^text\/plain/);
    }
  });
});

describe('subscriptionFeed', () => {
  it('never answers expire=0 (which apps read as "never expires")', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const row = {
      status: 'pending',
      end_date: null,
      vpn_key: null,
      traffic_used: 0,
      traffic_up: 0,
      traffic_down: 0,
    } as unknown as SubscriptionRow;
    assert.deepEqual(subscriptionFeed(row, null, now), {
      status: 'pending',
      links: [],
      uploadBytes: 0,
      downloadBytes: 0,
      totalBytes: 0,
      expireEpochSec: now.getTime() / 1000,
    });
  });
});
