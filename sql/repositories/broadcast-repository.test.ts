import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { newActiveSubscription, newPayment, newSubscription, newUser, testActor } from '../../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import {
  claimNextDelivery,
  clearUserBlocked,
  countAudience,
  countDeliveries,
  createBroadcast,
  finishBroadcast,
  finishDelivery,
  releaseDelivery,
  type BroadcastAudience,
} from './broadcast-repository';

describe('broadcast repository', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it('counts each audience by its definition, leaving out users who blocked the bot', async () => {
    const pool = database.pool;
    // active: paid and running
    await newActiveSubscription(pool);
    // expired: paid once, period over
    const lapsed = await newActiveSubscription(pool);
    await pool.query(
      sql.unsafe`UPDATE subscriptions SET status = 'expired', start_date = now() - interval '40 days', end_date = now() - interval '10 days' WHERE id = ${lapsed.id}`,
    );
    // trial only: took the trial, no payment, trial ended
    const trial = await newUser(pool);
    await pool.query(sql.unsafe`UPDATE users SET trial_used_at = now() - interval '5 days' WHERE id = ${trial.id}`);
    const trialSub = await newSubscription(pool, trial.id);
    await pool.query(
      sql.unsafe`UPDATE subscriptions SET status = 'expired', start_date = now() - interval '5 days', end_date = now() - interval '2 days' WHERE id = ${trialSub.id}`,
    );
    // never paid, never trialled (a pending payment does not count)
    const browsing = await newUser(pool);
    await newPayment(pool, { userId: browsing.id });
    // blocked: would be never_paid and all, but is left out everywhere
    const gone = await newUser(pool);
    await pool.query(sql.unsafe`UPDATE users SET blocked_at = now() WHERE id = ${gone.id}`);

    const counts: Record<BroadcastAudience, number> = { all: 0, active: 0, expired: 0, trial_only: 0, never_paid: 0 };
    for (const audience of Object.keys(counts) as BroadcastAudience[]) counts[audience] = await countAudience(pool, audience);
    // expired = the lapsed payer and the lapsed trial user; never_paid = trial user and browser.
    assert.deepEqual(counts, { all: 4, active: 1, expired: 2, trial_only: 1, never_paid: 2 });
  });

  it('claims each delivery once, puts a 429 back, and ends what a crash left mid-send as unknown', async () => {
    const pool = database.pool;
    const created = await createBroadcast(pool, {
      audience: 'never_paid',
      text: 'hello',
      operatorTelegramId: 1,
      requestKey: 'repo-1',
      actor: testActor,
    });
    assert.notEqual(created, 'busy');
    if (created === 'busy') return;
    assert.equal(created.recipients, 2);
    const [first, second] = await Promise.all([
      claimNextDelivery(pool, created.broadcast.id),
      claimNextDelivery(pool, created.broadcast.id),
    ]);
    assert.ok(first !== null && second !== null && first.id !== second.id, 'two concurrent claims get two rows');
    assert.equal(await claimNextDelivery(pool, created.broadcast.id), null, 'nothing left to claim');
    await releaseDelivery(pool, first.id);
    const again = await claimNextDelivery(pool, created.broadcast.id);
    assert.equal(again?.id, first.id, 'a 429 puts the row back');
    await finishDelivery(pool, { deliveryId: first.id, status: 'sent' });
    assert.equal(
      await createBroadcast(pool, { audience: 'all', text: 'x', operatorTelegramId: 1, requestKey: 'repo-2', actor: testActor }),
      'busy',
    );
    const done = await finishBroadcast(pool, created.broadcast.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(await countDeliveries(pool, created.broadcast.id), {
      total: 2,
      pending: 0,
      sending: 0,
      sent: 1,
      blocked: 0,
      failed: 0,
      unknown: 1,
    });
    // The presumed-dead sender reports after all: the truth replaces the guess.
    await finishDelivery(pool, { deliveryId: second.id, status: 'blocked' });
    assert.equal((await countDeliveries(pool, created.broadcast.id)).blocked, 1);
    const blockedAt = await pool.oneFirst(sql.unsafe`SELECT blocked_at FROM users WHERE id = ${second.user_id}`);
    assert.ok(blockedAt instanceof Date, 'a 403 marks the user');
    await clearUserBlocked(pool, second.user_id);
    assert.equal(await countAudience(pool, 'never_paid'), 2, 'a user who wrote again is in the audience again');
  });
});
