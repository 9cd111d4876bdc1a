import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';

/** What kind of request a recorded period change was (migration 0011's CHECK). */
export type PeriodChangeKind = 'payment' | 'trial' | 'extend' | 'auto_renew' | 'payment_to_balance';

const recorded = z.object({ subscription_id: z.number().int(), result: z.unknown() });

/**
 * The recorded result of the request `requestKey`, or null when it never committed. Read it under
 * the subscription's row lock (lockSubscription) in the transaction that would make the change, so
 * "absent" stays true until that transaction records it.
 */
export async function getPeriodChange(
  connection: CommonQueryMethods,
  requestKey: string,
): Promise<{ subscriptionId: number; result: unknown } | null> {
  const row = await connection.maybeOne(sql.type(recorded)`
    SELECT subscription_id, result FROM period_changes WHERE request_key = ${requestKey}
  `);
  return row === null ? null : { subscriptionId: row.subscription_id, result: row.result };
}

/**
 * Records the result of a request that changed a period or moved money, in the same transaction as
 * the change itself, so "recorded" is exactly "committed".
 *
 * @param input.result plain JSON (ISO strings for times, decimal strings for money)
 * @idempotency requestKey: the primary key; a second record for the same key fails the transaction
 * @throws slonik's UniqueIntegrityConstraintViolationError when the key was recorded before
 */
export async function recordPeriodChange(
  connection: CommonQueryMethods,
  input: { requestKey: string; subscriptionId: number; kind: PeriodChangeKind; result: unknown },
): Promise<void> {
  await connection.query(sql.unsafe`
    INSERT INTO period_changes (request_key, subscription_id, kind, result)
    VALUES (${input.requestKey}, ${input.subscriptionId}, ${input.kind}, ${sql.jsonb(input.result as never)})
  `);
}
