import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabasePool } from 'slonik';
import { AppError, ErrorCode } from '../../lib/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs, listAuditLogs } from './audit-repository';
import { getReferralByReferredId } from './referrals-repository';
import { getOrCreateUser, getUserByReferralCode, markTrialUsed, setAutoRenew, setUserLanguage } from './users-repository';
import { newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => db.drop());

describe('getOrCreateUser', () => {
  it('creates a user on first contact with defaults, a referral code, and one audit row', async () => {
    const { user, created } = await getOrCreateUser(pool, { telegramId: 42, username: 'alice', firstName: 'Alice', languageCode: 'ru' });
    assert.equal(created, true);
    assert.equal(user.telegram_id, 42);
    assert.equal(user.username, 'alice');
    assert.equal(user.language_code, 'ru');
    assert.equal(user.balance, '0.00');
    assert.equal(user.auto_renew, false);
    assert.equal(user.trial_used_at, null);
    assert.match(user.referral_code, /^[0-9A-HJKMNP-TV-Z]{10}$/);
    assert.equal(await countAuditLogs(pool, { action: 'user.created', entityId: user.id }), 1);
    const [audit] = await listAuditLogs(pool, { entityType: 'user', entityId: user.id });
    assert.deepEqual(
      { action: audit?.action, userId: audit?.user_id, actor: audit?.actor, actorId: audit?.actor_id, details: audit?.details },
      { action: 'user.created', userId: user.id, actor: 'user', actorId: String(user.id), details: { referrer_id: null } },
    );
  });

  it("writes the referred user's audit row as the unreferred path does, with the referrer", async () => {
    const referrer = await newUser(pool);
    const { user } = await getOrCreateUser(pool, { telegramId: 47, referralCode: referrer.referral_code });
    const [audit] = await listAuditLogs(pool, { entityType: 'user', entityId: user.id });
    assert.deepEqual(
      { action: audit?.action, userId: audit?.user_id, actor: audit?.actor, actorId: audit?.actor_id, details: audit?.details },
      { action: 'user.created', userId: user.id, actor: 'user', actorId: String(user.id), details: { referrer_id: referrer.id } },
    );
  });

  it('returns the existing row unchanged on later contact', async () => {
    const first = await getOrCreateUser(pool, { telegramId: 43, username: 'bob' });
    const again = await getOrCreateUser(pool, { telegramId: 43, username: 'renamed' });
    assert.equal(again.created, false);
    assert.equal(again.user.id, first.user.id);
    assert.equal(again.user.username, 'bob');
    assert.equal(await countAuditLogs(pool, { action: 'user.created', entityId: first.user.id }), 1);
  });

  it('stores a malformed Telegram language code as NULL instead of failing', async () => {
    const { user } = await getOrCreateUser(pool, { telegramId: 44, languageCode: 'Not A Language!' });
    assert.equal(user.language_code, null);
  });

  it('links a new user to the referrer whose code was in the deep link, with a pending referral', async () => {
    const referrer = await newUser(pool);
    const { user } = await getOrCreateUser(pool, { telegramId: 45, referralCode: referrer.referral_code });
    assert.equal(user.referrer_id, referrer.id);
    const referral = await getReferralByReferredId(pool, user.id);
    assert.equal(referral?.referrer_id, referrer.id);
    assert.equal(referral?.status, 'pending');
    assert.equal((await getUserByReferralCode(pool, referrer.referral_code))?.id, referrer.id);
  });

  it("ignores an unknown code and never re-assigns an existing user's referrer", async () => {
    const { user } = await getOrCreateUser(pool, { telegramId: 46, referralCode: 'NOSUCHCODE' });
    assert.equal(user.referrer_id, null);
    const other = await newUser(pool);
    const again = await getOrCreateUser(pool, { telegramId: 46, referralCode: other.referral_code });
    assert.equal(again.user.referrer_id, null);
    assert.equal(await getReferralByReferredId(pool, user.id), null);
  });

  it('gives every user a distinct referral code', async () => {
    const users = await Promise.all(Array.from({ length: 30 }, () => newUser(pool)));
    assert.equal(new Set(users.map((u) => u.referral_code)).size, 30);
  });
});

describe('profile updates', () => {
  it('sets language and auto-renew, auditing each', async () => {
    const user = await newUser(pool);
    const withLanguage = await setUserLanguage(pool, { userId: user.id, languageCode: 'en', actor: { type: 'user', userId: user.id } });
    assert.equal(withLanguage.language_code, 'en');
    const renewing = await setAutoRenew(pool, { userId: user.id, enabled: true, actor: { type: 'user', userId: user.id } });
    assert.equal(renewing.auto_renew, true);
    assert.ok(renewing.updated_at.getTime() >= user.updated_at.getTime());
    assert.equal(await countAuditLogs(pool, { action: 'user.language_set', entityId: user.id }), 1);
    assert.equal(await countAuditLogs(pool, { action: 'user.auto_renew_set', entityId: user.id }), 1);
    await assert.rejects(setUserLanguage(pool, { userId: user.id, languageCode: 'English', actor: testActor }), RangeError);
    await assert.rejects(
      setAutoRenew(pool, { userId: 99_999_999, enabled: true, actor: testActor }),
      (error: unknown) => error instanceof AppError && error.code === ErrorCode.NOT_FOUND,
    );
  });

  it('marks the free trial used exactly once, even under concurrency', async () => {
    const user = await newUser(pool);
    const results = await Promise.all(Array.from({ length: 10 }, () => markTrialUsed(pool, { userId: user.id, actor: testActor })));
    assert.equal(results.filter((r) => r.marked).length, 1);
    assert.ok(results.every((r) => r.user.trial_used_at instanceof Date));
    assert.equal(await countAuditLogs(pool, { action: 'user.trial_used', entityId: user.id }), 1);
  });
});
