import { sql, type CommonQueryMethods } from 'slonik';
import { formatMoney, parseMoney } from '../../lib/money';
import { referralRow, type ReferralRow } from '../schemas/referral-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { creditBalance } from './ledger-repository';

/**
 * Records that `referredId` came through `referrerId`'s link (status 'pending'). A user is referred
 * at most once: a second call, with any referrer, changes nothing and returns the existing row.
 *
 * @idempotency referredId
 * @throws slonik's CheckIntegrityConstraintViolationError for a self-referral;
 *   ForeignKeyIntegrityConstraintViolationError for unknown users
 */
export async function registerReferral(
  connection: CommonQueryMethods,
  input: { referrerId: number; referredId: number; actor: Actor },
): Promise<{ created: boolean; referral: ReferralRow }> {
  return connection.transaction(async (tx) => {
    const created = await tx.maybeOne(sql.type(referralRow)`
      INSERT INTO referrals (referrer_id, referred_id) VALUES (${input.referrerId}, ${input.referredId})
      ON CONFLICT (referred_id) DO NOTHING
      RETURNING *
    `);
    if (created === null) {
      return { created: false, referral: await tx.one(sql.type(referralRow)`SELECT * FROM referrals WHERE referred_id = ${input.referredId}`) };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'referral.registered',
      entityType: 'referral',
      entityId: created.id,
      userId: input.referredId,
      details: { referrer_id: input.referrerId },
    });
    return { created: true, referral: created };
  });
}

/** The referral of this referred user, or null when they came without a link. */
export async function getReferralByReferredId(connection: CommonQueryMethods, referredId: number): Promise<ReferralRow | null> {
  return connection.maybeOne(sql.type(referralRow)`SELECT * FROM referrals WHERE referred_id = ${referredId}`);
}

/**
 * Pays the referral bonus for `referredId` to their referrer: marks the pending referral 'paid' and
 * credits the referrer's balance through the ledger (reason 'referral_bonus', source the referral),
 * in one transaction. Once per referred user: the conditional UPDATE on status = 'pending' lets one
 * call through, concurrent ones wait and then find it paid; the ledger's idempotency key
 * `referral-bonus:<referredId>` is the second fence.
 *
 * @param input.bonusAmount RUB as decimal text (e.g. "50.00"); "0.00" marks paid without a ledger row
 * @param input.sourcePaymentId the referred user's payment that earned the bonus
 * @idempotency referredId
 * @returns `credited: false` when there is no pending referral (none, already paid, or cancelled)
 * @throws RangeError for a malformed or negative amount
 */
export async function creditReferralBonus(
  connection: CommonQueryMethods,
  input: { referredId: number; bonusAmount: string; sourcePaymentId: number | null; actor: Actor },
): Promise<{ credited: boolean; referral: ReferralRow | null }> {
  const bonus = parseMoney(input.bonusAmount);
  if (bonus < 0n) throw new RangeError('a referral bonus cannot be negative');
  return connection.transaction(async (tx) => {
    const paid = await tx.maybeOne(sql.type(referralRow)`
      UPDATE referrals
      SET status = 'paid', paid_at = now(), bonus_amount = ${formatMoney(bonus)}::numeric,
          source_payment_id = ${input.sourcePaymentId}
      WHERE referred_id = ${input.referredId} AND status = 'pending'
      RETURNING *
    `);
    if (paid === null) return { credited: false, referral: await getReferralByReferredId(tx, input.referredId) };
    if (bonus > 0n) {
      await creditBalance(tx, {
        userId: paid.referrer_id,
        amount: formatMoney(bonus),
        reason: 'referral_bonus',
        source: { table: 'referrals', id: paid.id },
        idempotencyKey: `referral-bonus:${input.referredId}`,
        actor: input.actor,
      });
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'referral.bonus_paid',
      entityType: 'referral',
      entityId: paid.id,
      userId: paid.referrer_id,
      details: { referred_id: paid.referred_id, bonus_amount: paid.bonus_amount, source_payment_id: input.sourcePaymentId },
    });
    return { credited: true, referral: paid };
  });
}

/**
 * Cancels a pending referral (e.g. the referred user's payment was refunded before payout).
 *
 * @returns whether this call cancelled it
 */
export async function cancelReferral(
  connection: CommonQueryMethods,
  input: { referredId: number; actor: Actor },
): Promise<{ cancelled: boolean }> {
  return connection.transaction(async (tx) => {
    const row = await tx.maybeOne(sql.type(referralRow)`
      UPDATE referrals SET status = 'cancelled' WHERE referred_id = ${input.referredId} AND status = 'pending' RETURNING *
    `);
    if (row === null) return { cancelled: false };
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'referral.cancelled',
      entityType: 'referral',
      entityId: row.id,
      userId: row.referred_id,
    });
    return { cancelled: true };
  });
}
