import { sql, type CommonQueryMethods } from 'slonik';
import { promoCodeRow, promoRedemptionRow, type PromoCodeRow, type PromoRedemptionRow } from '../schemas/promo-code-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** A promo code as the operator creates it. */
export interface NewPromoCode {
  /** Any case; stored upper-cased. 3..32 of A-Z, 0-9, '_' and '-'. */
  code: string;
  /** Whole percent off, 1..100. */
  percentOff: number;
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
      INSERT INTO promo_codes (code, percent_off, max_redemptions, expires_at)
      VALUES (
        ${normalizePromoCode(input.code)}, ${input.percentOff}, ${input.maxRedemptions ?? null},
        ${input.expiresAt ? sql.timestamp(input.expiresAt) : null}
      )
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'promo_code.created',
      entityType: 'promo_code',
      entityId: created.id,
      details: { code: created.code, percent_off: created.percent_off, max_redemptions: created.max_redemptions },
    });
    return created;
  });
}

/**
 * The code `userId` may use at `now`: active, not expired, below its maximum, and not yet used by
 * this user. Null otherwise (also for an unknown code). A check only: {@link redeemPromo} decides.
 */
export async function findUsablePromo(
  connection: CommonQueryMethods,
  input: { code: string; userId: number; now: Date },
): Promise<PromoCodeRow | null> {
  return connection.maybeOne(sql.type(promoCodeRow)`
    SELECT p.* FROM promo_codes p
    WHERE p.code = ${normalizePromoCode(input.code)} AND p.is_active
      AND (p.expires_at IS NULL OR p.expires_at > ${sql.timestamp(input.now)})
      AND (p.max_redemptions IS NULL OR p.redeemed_count < p.max_redemptions)
      AND NOT EXISTS (SELECT 1 FROM promo_redemptions r WHERE r.promo_code_id = p.id AND r.user_id = ${input.userId})
  `);
}

/** Thrown inside the redemption's savepoint to undo the count when the insert finds a prior use. */
class AlreadyRedeemed extends Error {}

/**
 * Redeems a code for `paymentId`: increments redeemed_count with a conditional UPDATE (active, not
 * expired, below max) and inserts the redemption, in one transaction (a savepoint when nested; call
 * it in the transaction that creates the payment). The UPDATE takes the code's row lock, so racing
 * callers queue and re-check the condition: of any number racing for the last redemption exactly
 * one wins. A second use by the same user finds the unique (promo_code_id, user_id) taken and is
 * undone. Audited as 'promo_code.redeemed'.
 *
 * @returns the redemption, or null when the code is not usable by this user now (nothing changed)
 */
export async function redeemPromo(
  connection: CommonQueryMethods,
  input: { promoCodeId: number; userId: number; paymentId: number; now: Date; actor: Actor },
): Promise<PromoRedemptionRow | null> {
  try {
    return await connection.transaction(async (tx) => {
      const promo = await tx.maybeOne(sql.type(promoCodeRow)`
        UPDATE promo_codes SET redeemed_count = redeemed_count + 1
        WHERE id = ${input.promoCodeId} AND is_active
          AND (expires_at IS NULL OR expires_at > ${sql.timestamp(input.now)})
          AND (max_redemptions IS NULL OR redeemed_count < max_redemptions)
        RETURNING *
      `);
      if (promo === null) return null;
      const redemption = await tx.maybeOne(sql.type(promoRedemptionRow)`
        INSERT INTO promo_redemptions (promo_code_id, user_id, payment_id)
        VALUES (${promo.id}, ${input.userId}, ${input.paymentId})
        ON CONFLICT (promo_code_id, user_id) DO NOTHING
        RETURNING *
      `);
      if (redemption === null) throw new AlreadyRedeemed();
      await writeAuditLog(tx, {
        actor: input.actor,
        action: 'promo_code.redeemed',
        entityType: 'promo_code',
        entityId: promo.id,
        userId: input.userId,
        details: { payment_id: input.paymentId, percent_off: promo.percent_off, redeemed_count: promo.redeemed_count },
      });
      return redemption;
    });
  } catch (error) {
    if (error instanceof AlreadyRedeemed) return null;
    throw error;
  }
}
