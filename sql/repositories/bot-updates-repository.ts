import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const claimRow = z.object({
  fresh: z.boolean(),
  user_id: z.number().nullable(),
  language_code: z.string().nullable(),
  blocked: z.boolean().nullable(),
});

/** Outcome of {@link claimBotUpdate}. */
export interface BotUpdateClaim {
  /** True when this call recorded the update; false when an earlier delivery did. */
  fresh: boolean;
  /** The sender's user (null: `telegramId` absent or not registered yet). */
  user: { userId: number; languageCode: string | null; blocked: boolean } | null;
  /** The stored `users.language_code` of `telegramId` (null: none stored or no such user). */
  languageCode: string | null;
}

/**
 * Records that the bot has taken on Telegram update `updateId` and, in the same round trip, reads
 * the stored language (and id and blocked mark) of the user who sent it (the bot needs both before any handler runs, and a
 * second query per update would cost more than the claim itself).
 *
 * @idempotency updateId: a second call returns `fresh: false` and changes nothing
 * @throws slonik errors on database failure
 */
export async function claimBotUpdate(
  connection: CommonQueryMethods,
  input: { updateId: number; telegramId: number | undefined },
): Promise<BotUpdateClaim> {
  const row = await connection.one(sql.type(claimRow)`
    WITH claimed AS (
      INSERT INTO bot_updates (update_id) VALUES (${input.updateId})
      ON CONFLICT (update_id) DO NOTHING
      RETURNING update_id
    )
    SELECT EXISTS (SELECT 1 FROM claimed) AS fresh, u.id AS user_id, u.language_code, u.blocked_at IS NOT NULL AS blocked
    FROM (SELECT 1) AS one
    LEFT JOIN users u ON u.telegram_id = ${input.telegramId ?? null}::bigint
  `);
  const user = row.user_id === null ? null : { userId: row.user_id, languageCode: row.language_code, blocked: row.blocked === true };
  return { fresh: row.fresh, user, languageCode: row.language_code };
}

/**
 * Deletes claims recorded before `before` (Telegram keeps an unconfirmed update 24 hours at most).
 *
 * @returns how many rows were deleted
 */
export async function pruneBotUpdates(connection: CommonQueryMethods, before: Date): Promise<number> {
  const result = await connection.query(sql.unsafe`DELETE FROM bot_updates WHERE received_at < ${before.toISOString()}::timestamptz`);
  return result.rowCount;
}
