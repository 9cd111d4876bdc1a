import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { promoCodeRow, promoRedemptionRow, type PromoCodeRow, type PromoRedemptionRow } from '../schemas/promo-code-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** A promo code as the operator creates it: a percentage or a fixed amount off. */
export interface NewPromoCode {
  /** Any case; stored upper-cased. 3..32 of A-Z, 0-9, '_' and '-'. */
  code: string;
  /** Whole percent off, 1..100 (or give amountOff instead). */
  percentOff?: number | null;
  /** RUB off as decimal text, e.g. "100.00" (or give percentOff instead). */
  amountOff?: string | null;
  /** Null or absent = unlimited. */
  maxRedemptions?: number | null;
  /** Null or absent = never expires. */
  expiresAt?: Date | null;
  actor: Actor;
}

/** How a code the user typed is looked up: trimmed and upper-cased (codes are stored upper case). */
export function normalizePromoCode(code: string): string {
  return code.trim().toUpperCase();
}

/**
 * Creates a promo code (an operator action), audited as 'promo_code.created'.
 *
 * @throws slonik's UniqueIntegrityConstraintViolationError for a code that exists (in any case);
 *   CheckIntegrityConstraintViolationError for a malformed code, percent outside 1..100 or a
 *   non-positive max
 */
export async function createPromoCode(connection: CommonQueryMethods, input: NewPromoCode): Promise<PromoCodeRow> {
  return connection.transaction(async (tx) => {
    const created = await tx.one(sql.type(promoCodeRow)`
      INSERT INTO promo_codes (code, percent_off, amount_off, max_redemptions, expires_at)
      VALUES (
        ${normalizePromoCode(input.code)}, ${input.percentOff ?? null}, ${input.amountOff ?? null}::numeric, ${input.maxRedemptions ?? null},
        ${input.expiresAt ? sql.timestamp(input.expiresAt) : null}
      )
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'promo_code.created',
      entityType: 'promo_code',
      entityId: created.id,
      details: {
        code: created.code,
        percent_off: created.percent_off,
        amount_off: created.amount_off,
        max_redemptions: created.max_redemptions,
      },
    });
    return created;
  });
}

/**
 * The code `userId` may use at `now`: active, not expired, not yet consumed by this user, and
 * below its maximum (or already reserved by this user: an open order of theirs holds one use).
 * Null otherwise (also for an unknown code). A check only: {@link reservePromo} decides.
 */
export async function findUsablePromo(
  connection: CommonQueryMethods,
  input: { code: string; userId: number; now: Date },
): Promise<PromoCodeRow | null> {
  return connection.maybeOne(sql.type(promoCodeRow)`
    SELECT p.* FROM promo_codes p
    WHERE p.code = ${normalizePromoCode(input.code)} AND p.is_active
      AND (p.expires_at IS NULL OR p.expires_at > ${sql.timestamp(input.now)})
      AND (
        p.max_redemptions IS NULL OR p.redeemed_count < p.max_redemptions
        OR EXISTS (SELECT 1 FROM promo_redemptions r WHERE r.promo_code_id = p.id AND r.user_id = ${input.userId} AND r.status = 'reserved')
      )
      AND NOT EXISTS (SELECT 1 FROM promo_redemptions r WHERE r.promo_code_id = p.id AND r.user_id = ${input.userId} AND r.status = 'consumed')
  `);
}

/** The promo code with this id, or null. */
export async function getPromoCode(connection: CommonQueryMethods, promoCodeId: number): Promise<PromoCodeRow | null> {
  return connection.maybeOne(sql.type(promoCodeRow)`SELECT * FROM promo_codes WHERE id = ${promoCodeId}`);
}

/** Thrown inside the reservation's savepoint to undo the count when the insert finds a prior use. */
class AlreadyRedeemed extends Error {}

/**
 * Reserves one use of a code for the user's new order `paymentId` (call it in the transaction that
 * creates the payment). A reservation the user already holds (an earlier order with the code, e.g.
 * another payment method pressed) moves to this order, so the discount stays; otherwise one use is
 * taken with status 'reserved': a conditional UPDATE of redeemed_count (below max) under the code's
 * row lock, so of any number racing for the last use exactly one wins, and the unique
 * (promo_code_id, user_id) keeps it to one per user. Audited as 'promo_code.reserved'. Paying the
 * order consumes it ({@link consumePromoOfPayment}); an order that ends unpaid releases it
 * ({@link releasePromoOfPayment}).
 *
 * @returns the reservation, or null when the code is not usable by this user now (nothing changed)
 */
export async function reservePromo(
  connection: CommonQueryMethods,
  input: { promoCodeId: number; userId: number; paymentId: number; now: Date; actor: Actor },
): Promise<PromoRedemptionRow | null> {
  try {
    return await connection.transaction(async (tx) => {
      const promo = await tx.maybeOne(sql.type(promoCodeRow)`
        SELECT * FROM promo_codes WHERE id = ${input.promoCodeId} AND is_active
          AND (expires_at IS NULL OR expires_at > ${sql.timestamp(input.now)})
        FOR UPDATE
      `);
      if (promo === null) return null;
      const held = await tx.maybeOne(sql.type(promoRedemptionRow)`
        SELECT * FROM promo_redemptions WHERE promo_code_id = ${promo.id} AND user_id = ${input.userId}
      `);
      if (held !== null && held.status === 'consumed') return null;
      if (held !== null) {
        return await tx.one(sql.type(promoRedemptionRow)`
          UPDATE promo_redemptions SET payment_id = ${input.paymentId} WHERE id = ${held.id} RETURNING *
        `);
      }
      const counted = await tx.maybeOne(sql.type(promoCodeRow)`
        UPDATE promo_codes SET redeemed_count = redeemed_count + 1
        WHERE id = ${promo.id} AND (max_redemptions IS NULL OR redeemed_count < max_redemptions)
        RETURNING *
      `);
      if (counted === null) return null;
      const reserved = await tx.maybeOne(sql.type(promoRedemptionRow)`
        INSERT INTO promo_redemptions (promo_code_id, user_id, payment_id, status)
        VALUES (${promo.id}, ${input.userId}, ${input.paymentId}, 'reserved')
        ON CONFLICT (promo_code_id, user_id) DO NOTHING
        RETURNING *
      `);
      if (reserved === null) throw new AlreadyRedeemed();
      await writeAuditLog(tx, {
        actor: input.actor,
        action: 'promo_code.reserved',
        entityType: 'promo_code',
        entityId: promo.id,
        userId: input.userId,
        details: { payment_id: input.paymentId, redeemed_count: counted.redeemed_count },
      });
      return reserved;
    });
  } catch (error) {
    if (error instanceof AlreadyRedeemed) return null;
    throw error;
  }
}

/**
 * A payment with a promo code completed: the user's reservation of the code becomes 'consumed'
 * (naming this payment) and their pending promo is cleared, in the caller's transaction. A late
 * success after the reservation was released takes a use again when the code has one left (the
 * money is in either way: otherwise it is only audited, 'promo_code.consumed_over_limit').
 *
 * @idempotency the (code, user) redemption: consuming twice changes nothing
 */
export async function consumePromoOfPayment(
  connection: CommonQueryMethods,
  input: { paymentId: number; userId: number; promoCodeId: number; actor: Actor },
): Promise<{ consumed: boolean }> {
  return connection.transaction(async (tx) => {
    await tx.query(sql.unsafe`DELETE FROM pending_promos WHERE user_id = ${input.userId} AND promo_code_id = ${input.promoCodeId}`);
    const audit = (action: string) =>
      writeAuditLog(tx, {
        actor: input.actor,
        action,
        entityType: 'promo_code',
        entityId: input.promoCodeId,
        userId: input.userId,
        details: { payment_id: input.paymentId },
      });
    const consumed = await tx.maybeOne(sql.type(promoRedemptionRow)`
      UPDATE promo_redemptions SET status = 'consumed', consumed_at = now(), payment_id = ${input.paymentId}
      WHERE promo_code_id = ${input.promoCodeId} AND user_id = ${input.userId} AND status = 'reserved'
      RETURNING *
    `);
    if (consumed !== null) {
      await audit('promo_code.consumed');
      return { consumed: true };
    }
    const existing = await tx.maybeOne(sql.type(promoRedemptionRow)`
      SELECT * FROM promo_redemptions WHERE promo_code_id = ${input.promoCodeId} AND user_id = ${input.userId}
    `);
    if (existing !== null) return { consumed: existing.payment_id === input.paymentId };
    const counted = await tx.maybeOne(sql.unsafe`
      UPDATE promo_codes SET redeemed_count = redeemed_count + 1
      WHERE id = ${input.promoCodeId} AND (max_redemptions IS NULL OR redeemed_count < max_redemptions)
      RETURNING id
    `);
    if (counted === null) {
      await audit('promo_code.consumed_over_limit');
      return { consumed: false };
    }
    await tx.query(sql.unsafe`
      INSERT INTO promo_redemptions (promo_code_id, user_id, payment_id, status, consumed_at)
      VALUES (${input.promoCodeId}, ${input.userId}, ${input.paymentId}, 'consumed', now())
      ON CONFLICT DO NOTHING
    `);
    await audit('promo_code.consumed');
    return { consumed: true };
  });
}

/**
 * A payment with a promo code was cancelled or failed: when the user has no other pending payment
 * with the code, their reservation is released (deleted, redeemed_count - 1), so the code is theirs
 * to use again (their pending promo stays). Otherwise the reservation moves to that other order.
 * In the caller's transaction.
 *
 * @idempotency releasing a released (or consumed) redemption changes nothing
 */
export async function releasePromoOfPayment(
  connection: CommonQueryMethods,
  input: { paymentId: number; userId: number; promoCodeId: number; actor: Actor },
): Promise<{ released: boolean }> {
  return connection.transaction(async (tx) => {
    const open = await tx.maybeOneFirst(sql.type(z.object({ id: z.number() }))`
      SELECT id FROM payments
      WHERE user_id = ${input.userId} AND promo_code_id = ${input.promoCodeId} AND status = 'pending' AND id <> ${input.paymentId}
      ORDER BY id DESC LIMIT 1
    `);
    if (open !== null) {
      await tx.query(sql.unsafe`
        UPDATE promo_redemptions SET payment_id = ${open}
        WHERE promo_code_id = ${input.promoCodeId} AND user_id = ${input.userId} AND status = 'reserved' AND payment_id = ${input.paymentId}
      `);
      return { released: false };
    }
    const released = await tx.maybeOne(sql.type(promoRedemptionRow)`
      DELETE FROM promo_redemptions WHERE promo_code_id = ${input.promoCodeId} AND user_id = ${input.userId} AND status = 'reserved' RETURNING *
    `);
    if (released === null) return { released: false };
    await tx.query(sql.unsafe`UPDATE promo_codes SET redeemed_count = redeemed_count - 1 WHERE id = ${input.promoCodeId}`);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'promo_code.released',
      entityType: 'promo_code',
      entityId: input.promoCodeId,
      userId: input.userId,
      details: { payment_id: input.paymentId },
    });
    return { released: true };
  });
}

/** The code the user applied and has not paid with yet. */
export async function getPendingPromo(connection: CommonQueryMethods, userId: number): Promise<PromoCodeRow | null> {
  return connection.maybeOne(sql.type(promoCodeRow)`
    SELECT p.* FROM pending_promos pp JOIN promo_codes p ON p.id = pp.promo_code_id WHERE pp.user_id = ${userId}
  `);
}

/** Stores the code the user applied (replacing any earlier one). */
export async function setPendingPromo(
  connection: CommonQueryMethods,
  input: { userId: number; promoCodeId: number; actor: Actor },
): Promise<void> {
  await connection.transaction(async (tx) => {
    await tx.query(sql.unsafe`
      INSERT INTO pending_promos (user_id, promo_code_id) VALUES (${input.userId}, ${input.promoCodeId})
      ON CONFLICT (user_id) DO UPDATE SET promo_code_id = EXCLUDED.promo_code_id, applied_at = now()
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'promo_code.applied',
      entityType: 'promo_code',
      entityId: input.promoCodeId,
      userId: input.userId,
    });
  });
}

/** Forgets the user's pending promo. */
export async function clearPendingPromo(connection: CommonQueryMethods, userId: number): Promise<void> {
  await connection.query(sql.unsafe`DELETE FROM pending_promos WHERE user_id = ${userId}`);
}
