import { sql, type CommonQueryMethods } from 'slonik';
import { formatMoney, parseMoney, percentOf } from '../../lib/money';
import { referralRow, type ReferralRow } from '../schemas/referral-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { creditBalance, debitBalance, getBalance } from './ledger-repository';

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
      return {
        created: false,
        referral: await tx.one(sql.type(referralRow)`SELECT * FROM referrals WHERE referred_id = ${input.referredId}`),
      };
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

/**
 * Takes back the referral bonus a payment earned, because that payment was refunded: in the
 * caller's transaction (the refund's), debits the referrer through the ledger (reason
 * 'referral_reversal', key `referral-reversal:<referredId>`) and marks the referral's
 * bonus_reversed_at. A referrer who spent part of it loses what is left (the ledger never goes
 * below zero); the shortfall is in the audit row. Nothing happens for a payment that earned no
 * bonus, or a bonus already reversed.
 *
 * @idempotency referred user id (bonus_reversed_at and the ledger key)
 * @returns the kopecks taken back, or null when there was nothing to reverse
 */
export async function reverseReferralBonus(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor },
): Promise<{ reversedKopecks: bigint; shortfallKopecks: bigint } | null> {
  return connection.transaction(async (tx) => {
    const referral = await tx.maybeOne(sql.type(referralRow)`
      UPDATE referrals SET bonus_reversed_at = now()
      WHERE source_payment_id = ${input.paymentId} AND status = 'paid' AND bonus_reversed_at IS NULL
      RETURNING *
    `);
    if (referral === null) return null;
    const bonus = referral.bonus_amount === null ? 0n : parseMoney(referral.bonus_amount);
    const balance = parseMoney(await getBalance(tx, referral.referrer_id));
    const taken = bonus < balance ? bonus : balance;
    if (taken > 0n) {
      await debitBalance(tx, {
        userId: referral.referrer_id,
        amount: formatMoney(taken),
        reason: 'referral_reversal',
        source: { table: 'referrals', id: referral.id },
        idempotencyKey: `referral-reversal:${referral.referred_id}`,
        actor: input.actor,
      });
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'referral.bonus_reversed',
      entityType: 'referral',
      entityId: referral.id,
      userId: referral.referrer_id,
      details: {
        payment_id: input.paymentId,
        bonus_amount: referral.bonus_amount,
        reversed: formatMoney(taken),
        shortfall: formatMoney(bonus - taken),
      },
    });
    return { reversedKopecks: taken, shortfallKopecks: bonus - taken };
  });
}

/**
 * The referral bonus a payment of `paidKopecks` earns: `percent` of it rounded down to a whole
 * kopeck (exact integer arithmetic), or the flat `flatKopecks` when no percentage is configured.
 * Null when bonuses are off.
 *
 * @param percent decimal text with up to two decimals ("10", "12.5"), or null
 */
export function referralBonusFor(paidKopecks: bigint, config: { percent: string | null; flatKopecks: bigint | null }): bigint | null {
  if (config.percent !== null) return percentOf(paidKopecks, config.percent, 'down');
  return config.flatKopecks;
}
