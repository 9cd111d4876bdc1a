import { randomInt } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { idColumn, timestampColumn } from '../schemas/columns';
import { writeAuditLog, type Actor } from './audit-repository';

/** A `gifts` row (migration 0019). */
export const giftRow = z.object({
  id: idColumn,
  code: z.string(),
  buyer_user_id: idColumn,
  plan_id: idColumn,
  payment_id: idColumn,
  paid_at: timestampColumn.nullable(),
  redeemed_by_user_id: idColumn.nullable(),
  subscription_id: idColumn.nullable(),
  redeemed_at: timestampColumn.nullable(),
  created_at: timestampColumn,
});

/** A `gifts` row. */
export type GiftRow = z.infer<typeof giftRow>;

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A fresh gift code: 12 characters from an alphabet without look-alikes (about 60 random bits). */
export function newGiftCode(): string {
  return Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** Records the gift an order buys (in the order's transaction). Audited 'gift.ordered'. */
export async function createGift(
  connection: CommonQueryMethods,
  input: { buyerUserId: number; planId: number; paymentId: number; actor: Actor },
): Promise<GiftRow> {
  return connection.transaction(async (tx) => {
    const gift = await tx.one(sql.type(giftRow)`
      INSERT INTO gifts (code, buyer_user_id, plan_id, payment_id) VALUES (${newGiftCode()}, ${input.buyerUserId}, ${input.planId}, ${input.paymentId})
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'gift.ordered',
      entityType: 'gift',
      entityId: gift.id,
      userId: input.buyerUserId,
      details: { plan_id: input.planId, payment_id: input.paymentId },
    });
    return gift;
  });
}

/** The gift an order buys, or null. */
export async function getGiftByPayment(connection: CommonQueryMethods, paymentId: number): Promise<GiftRow | null> {
  return connection.maybeOne(sql.type(giftRow)`SELECT * FROM gifts WHERE payment_id = ${paymentId}`);
}

/** The buyer's gifts, newest first. */
export async function listGiftsOfBuyer(connection: CommonQueryMethods, buyerUserId: number): Promise<readonly GiftRow[]> {
  return connection.any(sql.type(giftRow)`SELECT * FROM gifts WHERE buyer_user_id = ${buyerUserId} ORDER BY id DESC`);
}

/** The gift's order was paid (in the payment's completion transaction): paid_at, once. Audited 'gift.paid'. */
export async function markGiftPaid(connection: CommonQueryMethods, input: { paymentId: number; actor: Actor }): Promise<void> {
  const paid = await connection.maybeOne(
    sql.type(giftRow)`UPDATE gifts SET paid_at = now() WHERE payment_id = ${input.paymentId} AND paid_at IS NULL RETURNING *`,
  );
  if (paid !== null)
    await writeAuditLog(connection, {
      actor: input.actor,
      action: 'gift.paid',
      entityType: 'gift',
      entityId: paid.id,
      userId: paid.buyer_user_id,
      details: { payment_id: input.paymentId },
    });
}

/** The gift with this code, locked for its redemption (call inside a transaction), or null. */
export async function lockGiftByCode(connection: CommonQueryMethods, code: string): Promise<GiftRow | null> {
  return connection.maybeOne(sql.type(giftRow)`SELECT * FROM gifts WHERE code = ${code.trim().toUpperCase()} FOR UPDATE`);
}

/**
 * Records the redemption (the caller holds the gift's lock and created `subscriptionId`) and
 * attaches the gift's payment to that subscription, so its workflow applies it. Audited 'gift.redeemed'.
 */
export async function markGiftRedeemed(
  connection: CommonQueryMethods,
  input: { giftId: number; userId: number; subscriptionId: number; paymentId: number; actor: Actor },
): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE gifts SET redeemed_by_user_id = ${input.userId}, subscription_id = ${input.subscriptionId}, redeemed_at = now() WHERE id = ${input.giftId}
  `);
  await connection.query(
    sql.unsafe`UPDATE payments SET subscription_id = ${input.subscriptionId} WHERE id = ${input.paymentId} AND subscription_id IS NULL`,
  );
  await writeAuditLog(connection, {
    actor: input.actor,
    action: 'gift.redeemed',
    entityType: 'gift',
    entityId: input.giftId,
    userId: input.userId,
    details: { subscription_id: input.subscriptionId, payment_id: input.paymentId },
  });
}
