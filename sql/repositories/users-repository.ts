import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError } from '../../lib/errors';
import { userRow, type UserRow } from '../schemas/user-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { registerReferral } from './referrals-repository';

/** What Telegram tells us about a user on each update. */
export interface TelegramProfile {
  /** Telegram user id (positive, < 2^52). */
  telegramId: number;
  username?: string | null;
  firstName?: string | null;
  /** IETF tag from Telegram (`ctx.from.language_code`); malformed values are stored as NULL. */
  languageCode?: string | null;
}

const LANGUAGE_CODE = /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;
const REFERRAL_CODE_RETRIES = 3;

function languageOrNull(code: string | null | undefined): string | null {
  return code !== undefined && code !== null && code.length <= 16 && LANGUAGE_CODE.test(code) ? code : null;
}

/**
 * Returns the user with this Telegram id, creating it on first contact. Race-safe: concurrent calls
 * for one id insert at most one row (INSERT ... ON CONFLICT DO NOTHING, then read the winner's row).
 * The new row and its 'user.created' audit row commit together. A new user referred through
 * `start=ref_<code>` gets `referrer_id` and a pending referrals row in the same transaction; an
 * unknown code is ignored. Existing users are returned unchanged (their referrer is never replaced).
 *
 * @idempotency telegramId
 * @returns the row and whether this call created it (only the creator writes 'user.created')
 * @throws slonik errors on database failure
 */
export async function getOrCreateUser(
  connection: CommonQueryMethods,
  profile: TelegramProfile & { referralCode?: string | null },
): Promise<{ user: UserRow; created: boolean }> {
  // Insert first: callers ask for users they do not know yet (the bot answers known ones from the
  // update claim), so the common case is one statement; a known id costs the failed insert (and a
  // sequence value) and a read.
  const inserted = await withFreshReferralCode(() =>
    profile.referralCode == null ? insertUnreferredUser(connection, profile) : insertReferredUser(connection, profile),
  );
  if (inserted !== null) return { user: inserted, created: true };
  // The id was there already, or another call inserted it first (ON CONFLICT waited for it to commit).
  const existing = await getUserByTelegramId(connection, profile.telegramId);
  if (existing === null) throw new RecordNotFoundError('user');
  return { user: existing, created: false };
}

/** Runs `insert` again when the new row's random referral code collided with an existing one. */
async function withFreshReferralCode<T>(insert: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await insert();
    } catch (error) {
      const codeCollision = error instanceof UniqueIntegrityConstraintViolationError && error.constraint === 'users_referral_code_key';
      if (!codeCollision || attempt >= REFERRAL_CODE_RETRIES) throw error;
    }
  }
}

/**
 * A first contact without a referral code (nearly every /start): the row and its 'user.created'
 * audit row in one statement, so one round trip instead of a transaction of six (bench bot: the
 * statements of /start were most of Postgres's 2 ms per answer). The audit row is the one
 * writeAuditLog writes for this actor; null when the id was inserted concurrently.
 */
async function insertUnreferredUser(connection: CommonQueryMethods, profile: TelegramProfile): Promise<UserRow | null> {
  return connection.maybeOne(sql.type(userRow)`
    WITH inserted AS (
      INSERT INTO users (telegram_id, username, first_name, language_code)
      VALUES (${profile.telegramId}, ${profile.username ?? null}, ${profile.firstName ?? null}, ${languageOrNull(profile.languageCode)})
      ON CONFLICT (telegram_id) DO NOTHING
      RETURNING *
    ), audited AS (
      INSERT INTO audit_logs (user_id, action, entity_type, entity_id, details, actor, actor_id)
      SELECT id, 'user.created', 'user', id, jsonb_build_object('referrer_id', NULL), 'user', id::text FROM inserted
    )
    SELECT * FROM inserted
  `);
}

/**
 * A first contact through `start=ref_<code>`: the row with its referrer (none for an unknown code),
 * its audit row and the pending referral, in one transaction. Null when the id was inserted concurrently.
 */
async function insertReferredUser(
  connection: CommonQueryMethods,
  profile: TelegramProfile & { referralCode?: string | null },
): Promise<UserRow | null> {
  return connection.transaction(async (tx) => {
    const inserted = await tx.maybeOne(sql.type(userRow)`
      INSERT INTO users (telegram_id, username, first_name, language_code, referrer_id)
      VALUES (
        ${profile.telegramId}, ${profile.username ?? null}, ${profile.firstName ?? null},
        ${languageOrNull(profile.languageCode)},
        (SELECT id FROM users WHERE referral_code = ${profile.referralCode ?? null})
      )
      ON CONFLICT (telegram_id) DO NOTHING
      RETURNING *
    `);
    if (inserted === null) return null;
    const actor: Actor = { type: 'user', userId: inserted.id };
    await writeAuditLog(tx, {
      actor,
      action: 'user.created',
      entityType: 'user',
      entityId: inserted.id,
      userId: inserted.id,
      details: { referrer_id: inserted.referrer_id },
    });
    if (inserted.referrer_id !== null) {
      await registerReferral(tx, { referrerId: inserted.referrer_id, referredId: inserted.id, actor });
    }
    return inserted;
  });
}

/** The user with this id, or null. */
export async function getUserById(connection: CommonQueryMethods, userId: number): Promise<UserRow | null> {
  return connection.maybeOne(sql.type(userRow)`SELECT * FROM users WHERE id = ${userId}`);
}

/** The user with this Telegram id, or null. */
export async function getUserByTelegramId(connection: CommonQueryMethods, telegramId: number): Promise<UserRow | null> {
  return connection.maybeOne(sql.type(userRow)`SELECT * FROM users WHERE telegram_id = ${telegramId}`);
}

/** The user whose referral code this is (exact match), or null. */
export async function getUserByReferralCode(connection: CommonQueryMethods, referralCode: string): Promise<UserRow | null> {
  return connection.maybeOne(sql.type(userRow)`SELECT * FROM users WHERE referral_code = ${referralCode}`);
}

async function updateUser(
  connection: CommonQueryMethods,
  userId: number,
  actor: Actor,
  action: string,
  assignment: ReturnType<typeof sql.fragment>,
  details: Record<string, unknown>,
): Promise<UserRow> {
  return connection.transaction(async (tx) => {
    const user = await tx.maybeOne(sql.type(userRow)`UPDATE users SET ${assignment} WHERE id = ${userId} RETURNING *`);
    if (user === null) throw new RecordNotFoundError('user');
    await writeAuditLog(tx, { actor, action, entityType: 'user', entityId: userId, userId, details });
    return user;
  });
}

/**
 * Sets the user's UI language (IETF tag such as 'ru' or 'en'; null = unset).
 *
 * @throws RangeError for a malformed tag; RecordNotFoundError (NOT_FOUND) for an unknown user
 */
export async function setUserLanguage(
  connection: CommonQueryMethods,
  input: { userId: number; languageCode: string | null; actor: Actor },
): Promise<UserRow> {
  if (input.languageCode !== null && languageOrNull(input.languageCode) === null) throw new RangeError('malformed language code');
  return updateUser(connection, input.userId, input.actor, 'user.language_set', sql.fragment`language_code = ${input.languageCode}`, {
    language_code: input.languageCode,
  });
}

/**
 * Turns renewal from balance on or off (opt-in; off by default).
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown user
 */
export async function setAutoRenew(
  connection: CommonQueryMethods,
  input: { userId: number; enabled: boolean; actor: Actor },
): Promise<UserRow> {
  return updateUser(connection, input.userId, input.actor, 'user.auto_renew_set', sql.fragment`auto_renew = ${input.enabled}`, {
    auto_renew: input.enabled,
  });
}

/**
 * Records that the user took their one free trial. Exactly once: of any number of calls, even
 * concurrent ones, only the first returns `marked: true`.
 *
 * @idempotency userId
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown user
 */
export async function markTrialUsed(
  connection: CommonQueryMethods,
  input: { userId: number; actor: Actor },
): Promise<{ marked: boolean; user: UserRow }> {
  return connection.transaction(async (tx) => {
    const user = await tx.maybeOne(sql.type(userRow)`
      UPDATE users SET trial_used_at = now() WHERE id = ${input.userId} AND trial_used_at IS NULL RETURNING *
    `);
    if (user === null) {
      const current = await getUserById(tx, input.userId);
      if (current === null) throw new RecordNotFoundError('user');
      return { marked: false, user: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'user.trial_used',
      entityType: 'user',
      entityId: user.id,
      userId: user.id,
    });
    return { marked: true, user };
  });
}
