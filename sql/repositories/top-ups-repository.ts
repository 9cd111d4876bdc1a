import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { idColumn, moneyColumn, timestampColumn } from '../schemas/columns';
import { writeAuditLog, type Actor } from './audit-repository';
import { creditBalance, debitBalance } from './ledger-repository';

/** A `balance_top_ups` row (migration 0024). `amount` is the RUB the balance gets, decimal text. */
export const topUpRow = z.object({
  id: idColumn,
  user_id: idColumn,
  payment_id: idColumn,
  amount: moneyColumn,
  credited_at: timestampColumn.nullable(),
  created_at: timestampColumn,
});

/** A `balance_top_ups` row. */
export type TopUpRow = z.infer<typeof topUpRow>;

/** The ledger key of a top-up's credit: one per payment. */
export const topUpLedgerKey = (paymentId: number) => `top-up:${paymentId}`;

/** The ledger key of taking a refunded top-up back off the balance: one per payment. */
export const topUpRefundLedgerKey = (paymentId: number) => `top-up-refund:${paymentId}`;

/** Records what a top-up order puts on the balance (in the order's transaction). Audited 'top_up.ordered'. */
export async function createTopUp(
  connection: CommonQueryMethods,
  input: { userId: number; paymentId: number; amount: string; actor: Actor },
): Promise<TopUpRow> {
  return connection.transaction(async (tx) => {
    const row = await tx.one(sql.type(topUpRow)`
      INSERT INTO balance_top_ups (user_id, payment_id, amount) VALUES (${input.userId}, ${input.paymentId}, ${input.amount})
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'top_up.ordered',
      entityType: 'payment',
      entityId: input.paymentId,
      userId: input.userId,
      details: { amount: input.amount },
    });
    return row;
  });
}

/** The top-up a payment buys, or null (a subscription's or a gift's payment). */
export async function getTopUpByPayment(connection: CommonQueryMethods, paymentId: number): Promise<TopUpRow | null> {
  return connection.maybeOne(sql.type(topUpRow)`SELECT * FROM balance_top_ups WHERE payment_id = ${paymentId}`);
}

/**
 * Credits a paid top-up, in the payment's completion transaction: sets credited_at once, marks the
 * payment applied (it has no subscription to apply to) and credits the balance through the ledger
 * (reason 'top_up', key `top-up:<paymentId>`).
 *
 * @idempotency paymentId (the credited_at guard and the ledger key)
 * @returns the row when this call credited it; null when the payment buys no top-up or it was
 *   credited before
 */
export async function creditTopUpOfPayment(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor },
): Promise<TopUpRow | null> {
  const credited = await connection.maybeOne(sql.type(topUpRow)`
    UPDATE balance_top_ups SET credited_at = now() WHERE payment_id = ${input.paymentId} AND credited_at IS NULL RETURNING *
  `);
  if (credited === null) return null;
  await connection.query(sql.unsafe`
    UPDATE payments SET applied_at = now() WHERE id = ${input.paymentId} AND applied_at IS NULL
  `);
  await creditBalance(connection, {
    userId: credited.user_id,
    amount: credited.amount,
    reason: 'top_up',
    source: { table: 'payments', id: input.paymentId },
    idempotencyKey: topUpLedgerKey(input.paymentId),
    actor: input.actor,
  });
  return credited;
}

/**
 * Takes a refunded top-up back off the balance (the money went back to the payer): one ledger row,
 * reason 'operator_adjustment', key `top-up-refund:<paymentId>`.
 *
 * @idempotency paymentId (the ledger key)
 * @throws InsufficientBalanceError when the balance no longer holds the amount (it was spent)
 */
export async function takeBackTopUp(connection: CommonQueryMethods, input: { topUp: TopUpRow; actor: Actor }): Promise<void> {
  await debitBalance(connection, {
    userId: input.topUp.user_id,
    amount: input.topUp.amount,
    reason: 'operator_adjustment',
    source: { table: 'payments', id: input.topUp.payment_id },
    idempotencyKey: topUpRefundLedgerKey(input.topUp.payment_id),
    actor: input.actor,
  });
}
