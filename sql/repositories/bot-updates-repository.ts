import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

const claimRow = z.object({ fresh: z.boolean(), language_code: z.string().nullable() });

/** Outcome of {@link claimBotUpdate}. */
export interface BotUpdateClaim {
  /** True when this call recorded the update; false when an earlier delivery did. */
  fresh: boolean;
  /** The stored `users.language_code` of `telegramId` (null: none stored or no such user). */
  languageCode: string | null;
}

/**
 * Records that the bot has taken on Telegram update `updateId` and, in the same round trip, reads
 * the stored language of the user who sent it (the bot needs both before any handler runs, and a
 * second query per update would cost more than the claim itself).
 *
 * @idempotency updateId: a second call returns `fresh: false` and changes nothing
 * @throws slonik errors on database failure
 */
export async function claimBotUpdate(connection: CommonQueryMethods, input: { updateId: number; telegramId: number | undefined }): Promise<BotUpdateClaim> {
  const row = await connection.one(sql.type(claimRow)`
    WITH claimed AS (
      INSERT INTO bot_updates (update_id) VALUES (${input.updateId})
      ON CONFLICT (update_id) DO NOTHING
      RETURNING update_id
    )
    SELECT EXISTS (SELECT 1 FROM claimed) AS fresh,
           (SELECT language_code FROM users WHERE telegram_id = ${input.telegramId ?? null}::bigint) AS language_code
  `);
  return { fresh: row.fresh, languageCode: row.language_code };
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
