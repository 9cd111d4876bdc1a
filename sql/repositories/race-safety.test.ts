import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createDbPool } from '../../lib/db/create-pool';
import { AppError, ErrorCode } from '../../lib/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { creditBalance, getBalance } from './ledger-repository';
import { markPaymentCompleted } from './payments-repository';
import { createTopUp, getTopUpByPayment } from './top-ups-repository';
import { claimServerSlot } from './server-slots-repository';
import { getOrCreateUser } from './users-repository';
import { newPayment, newServer, newSubscription, newUser, testActor } from '../../test/support/db-fixtures';

/*
 * The race-safe paths under real concurrency: 50 calls issued at once over a pool of 50 connections
 * (warmed up first, so all 50 transactions really overlap in Postgres).
 */

const PARALLEL = 50;
let db: TestDatabase;
let pool: DatabasePool;

before(async () => {
  db = await createTestDatabase();
  pool = await createDbPool(db.url, { maximumPoolSize: PARALLEL });
  await Promise.all(Array.from({ length: PARALLEL }, () => pool.query(sql.unsafe`SELECT pg_sleep(0.05)`)));
});
after(async () => {
  await pool.end();
  await db.drop();
});

async function timed<T>(label: string, diagnostic: (message: string) => void, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  diagnostic(`${label}: ${PARALLEL} parallel calls in ${(performance.now() - started).toFixed(0)} ms`);
  return result;
}

const parallel = <T>(call: (index: number) => Promise<T>) =>
  Promise.allSettled(Array.from({ length: PARALLEL }, (_, index) => call(index)));

describe(`race safety (${PARALLEL} parallel calls)`, () => {
  it('50 claims of the last server slot give exactly one winner', async (t) => {
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
    const server = await newServer(pool, 1);
    const subscriptions = await Promise.all(Array.from({ length: PARALLEL }, () => newSubscription(pool)));
    const results = await timed(
      'last slot',
      (m) => t.diagnostic(m),
      () => parallel((index) => claimServerSlot(pool, { subscriptionId: subscriptions[index]?.id ?? 0, actor: testActor })),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    assert.equal(winners.length, 1);
    for (const result of results) {
      if (result.status === 'rejected')
        assert.ok(result.reason instanceof AppError && result.reason.code === ErrorCode.SERVER_FULL, String(result.reason));
    }
    const counts = await pool.one(sql.type(z.object({ current_users: z.number(), holders: z.number() }))`
      SELECT current_users, (SELECT count(*)::int FROM subscriptions WHERE server_id = ${server.id} AND server_slot_held) AS holders
      FROM vpn_servers WHERE id = ${server.id}
    `);
    assert.deepEqual(counts, { current_users: 1, holders: 1 });
  });

  it('50 claims of 10 free slots give exactly 10 winners (waiting, not skipping, on a busy server)', async (t) => {
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
    const server = await newServer(pool, 10);
    const subscriptions = await Promise.all(Array.from({ length: PARALLEL }, () => newSubscription(pool)));
    const results = await timed(
      '10 slots',
      (m) => t.diagnostic(m),
      () => parallel((index) => claimServerSlot(pool, { subscriptionId: subscriptions[index]?.id ?? 0, actor: testActor })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
    const current = await pool.oneFirst(
      sql.type(z.object({ current_users: z.number() }))`SELECT current_users FROM vpn_servers WHERE id = ${server.id}`,
    );
    assert.equal(current, 10);
  });

  it('50 completions of one payment give exactly one true', async (t) => {
    const user = await newUser(pool);
    const payment = await newPayment(pool, { userId: user.id });
    const results = await timed(
      'complete payment',
      (m) => t.diagnostic(m),
      () =>
        parallel(() => markPaymentCompleted(pool, { paymentId: payment.id, actor: { type: 'provider_webhook', provider: 'yookassa' } })),
    );
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    const completed = results.filter((r) => r.status === 'fulfilled' && r.value.completed);
    assert.equal(completed.length, 1);
    assert.equal(await countAuditLogs(pool, { action: 'payment.completed', entityId: payment.id }), 1);
  });

  it('50 completions of one top-up credit the balance once', async (t) => {
    const user = await newUser(pool);
    const payment = await newPayment(pool, { userId: user.id, amount: '500.00' });
    await createTopUp(pool, { userId: user.id, paymentId: payment.id, amount: '500.00', actor: testActor });
    const results = await timed(
      'complete top-up',
      (m) => t.diagnostic(m),
      () =>
        parallel(() => markPaymentCompleted(pool, { paymentId: payment.id, actor: { type: 'provider_webhook', provider: 'yookassa' } })),
    );
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    assert.equal(await getBalance(pool, user.id), '500.00');
    const ledgerRows = await pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM balance_ledger WHERE user_id = ${user.id}`,
    );
    assert.equal(ledgerRows, 1, 'one ledger row');
    assert.ok((await getTopUpByPayment(pool, payment.id))?.credited_at, 'credited_at set');
  });

  it('50 get-or-create calls for one telegram id give one row', async (t) => {
    const telegramId = 777_000_001;
    const results = await timed(
      'get-or-create user',
      (m) => t.diagnostic(m),
      () => parallel(() => getOrCreateUser(pool, { telegramId, firstName: 'Racer' })),
    );
    const values = results.map((r) => {
      assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
      return (r as PromiseFulfilledResult<Awaited<ReturnType<typeof getOrCreateUser>>>).value;
    });
    assert.equal(values.filter((v) => v.created).length, 1);
    assert.equal(new Set(values.map((v) => v.user.id)).size, 1);
    const rows = await pool.oneFirst(
      sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM users WHERE telegram_id = ${telegramId}`,
    );
    assert.equal(rows, 1);
    assert.equal(await countAuditLogs(pool, { action: 'user.created', entityId: values[0]?.user.id ?? 0 }), 1);
  });

  it('50 credits with one idempotency key move the balance once', async (t) => {
    const user = await newUser(pool);
    const results = await timed(
      'idempotent credit',
      (m) => t.diagnostic(m),
      () =>
        parallel(() =>
          creditBalance(pool, { userId: user.id, amount: '100.00', reason: 'top_up', idempotencyKey: `race:${user.id}`, actor: testActor }),
        ),
    );
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    assert.equal(results.filter((r) => r.status === 'fulfilled' && r.value.applied).length, 1);
    assert.equal(await getBalance(pool, user.id), '100.00');
  });
});
