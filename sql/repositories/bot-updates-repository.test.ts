import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { newUser } from '../../test/support/db-fixtures';
import { claimBotUpdate, pruneBotUpdates } from './bot-updates-repository';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => db.drop());

describe('bot_updates', () => {
  it('claims an update once however many deliveries race, and reads the sender language in the same statement', async () => {
    const user = await newUser(db.pool);
    await db.pool.query(sql.unsafe`UPDATE users SET language_code = 'en' WHERE id = ${user.id}`);
    const telegramId = Number(user.telegram_id);
    const claims = await Promise.all(Array.from({ length: 8 }, () => claimBotUpdate(db.pool, { updateId: 900_001, telegramId })));
    assert.equal(claims.filter((claim) => claim.fresh).length, 1);
    assert.ok(claims.every((claim) => claim.languageCode === 'en'));
    assert.ok(claims.every((claim) => claim.user?.userId === user.id && claim.user.languageCode === 'en' && !claim.user.blocked));
    await db.pool.query(sql.unsafe`UPDATE users SET blocked_at = now() WHERE id = ${user.id}`);
    assert.deepEqual(
      (await claimBotUpdate(db.pool, { updateId: 900_004, telegramId })).user,
      { userId: user.id, languageCode: 'en', blocked: true },
      'the blocked mark rides along, for the bot to clear it',
    );
    assert.deepEqual(await claimBotUpdate(db.pool, { updateId: 900_002, telegramId: undefined }), {
      fresh: true,
      user: null,
      languageCode: null,
    });
    assert.deepEqual(
      await claimBotUpdate(db.pool, { updateId: 900_003, telegramId: 1 }),
      { fresh: true, user: null, languageCode: null },
      'unknown sender',
    );
  });

  it('prunes claims older than the cut-off only', async () => {
    await claimBotUpdate(db.pool, { updateId: 900_010, telegramId: undefined });
    await db.pool.query(sql.unsafe`UPDATE bot_updates SET received_at = now() - interval '3 days' WHERE update_id = 900_010`);
    assert.equal(await pruneBotUpdates(db.pool, new Date(Date.now() - 48 * 3_600_000)), 1);
    const left = await db.pool.anyFirst(
      sql.type(z.object({ update_id: z.coerce.number() }))`SELECT update_id FROM bot_updates ORDER BY update_id`,
    );
    assert.deepEqual(left, [900_001, 900_002, 900_003, 900_004]);
    assert.equal(
      (await claimBotUpdate(db.pool, { updateId: 900_010, telegramId: undefined })).fresh,
      true,
      'a pruned id can be claimed again',
    );
  });
});
