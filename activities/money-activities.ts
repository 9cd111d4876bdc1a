import type { DatabasePool } from '../lib/db/create-pool';
import {
  AppError,
  ErrorCode,
  InsufficientBalanceError,
  InvalidInputError,
  RecordNotFoundError,
  SubscriptionStateError,
} from '../lib/errors';
import type { Logger } from '../lib/logger';
import { formatMoney, parseMoney, type Kopecks } from '../lib/money';
import { creditBalance, debitBalance } from '../sql/repositories/ledger-repository';
import {
  createPayment,
  getPayment,
  getPaymentByIdempotencyKey,
  markPaymentCompleted,
  markPaymentRefunded,
} from '../sql/repositories/payments-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { creditReferralBonus, getReferralByReferredId, referralBonusFor } from '../sql/repositories/referrals-repository';
import { extendSubscriptionWithPayment, lockSubscription } from '../sql/repositories/subscriptions-repository';
import { getPeriodChange, recordPeriodChange } from '../sql/repositories/period-changes-repository';
import { getUserById } from '../sql/repositories/users-repository';
import { planPeriod } from '../sql/schemas/subscription-plan-row';
import type { LifecycleActivities } from './contracts/lifecycle-activities';
import type { DeliverNotification } from './notify-activities';
import { LIFECYCLE_ACTOR, loadSubscription } from './period-activities';
import { toSnapshot } from './subscription-snapshot';
import { asActivity } from './to-activity-failure';

/** Dependencies of the money activities. */
export interface MoneyActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** Bonus credited to a referrer per referred user, in kopecks; null = referral bonuses disabled. */
  referralBonusKopecks: Kopecks | null;
  /**
   * Referral bonus as a percentage of what the referred user actually paid (RUB payments), decimal
   * text with up to two decimals ("10", "12.5"), rounded down to a kopeck; overrides the flat
   * bonus (REFERRAL_BONUS_PERCENT). Absent or null = the flat referralBonusKopecks.
   */
  referralBonusPercent?: string | null | undefined;
  /** Sends the referrer's announcement through the outbox. */
  deliver: DeliverNotification;
}

/** The money activities' part of {@link LifecycleActivities}. */
export type MoneyActivities = Pick<LifecycleActivities, 'refundToBalance' | 'payReferralBonus' | 'tryAutoRenew'>;

type AutoRenewResult = Awaited<ReturnType<LifecycleActivities['tryAutoRenew']>>;

/** ISO text of `endsAt` as Date.toISOString prints it, so one instant always gives one key. */
function canonicalInstant(endsAt: string): string {
  const date = new Date(endsAt);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError('endsAt must be an ISO 8601 instant');
  return date.toISOString();
}

/**
 * Activities that move money through the balance ledger (refund to balance, referral bonus,
 * renewal from balance). Each money movement, the row it concerns and their audit rows commit in
 * one transaction under an idempotency key derived from workflow data, so a retry or a concurrent
 * twin moves nothing twice, and users.balance equals the ledger's sum at every commit.
 */
export function createMoneyActivities(deps: MoneyActivityDeps): MoneyActivities {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:lifecycle' });

  /** The result of an auto-renewal that already committed under `key` (the recorded one), or null. */
  async function renewedBefore(key: string): Promise<AutoRenewResult | null> {
    const recorded = await getPeriodChange(db, key);
    if (recorded !== null) return recorded.result as AutoRenewResult;
    const payment = await getPaymentByIdempotencyKey(db, key);
    if (payment === null || payment.subscription_id === null) return null;
    return { renewed: true, paymentId: payment.id, snapshot: toSnapshot(await loadSubscription(db, payment.subscription_id)) };
  }

  return {
    /**
     * Refunds a completed RUB payment of this subscription to the user's balance: marks it
     * refunded and credits its amount through the ledger (reason 'refund', key `refund:<paymentId>`)
     * in one transaction. The subscription itself is not changed (cancel it separately if needed).
     * `refunded: true` whenever the refund is in effect (this call or an earlier one made it): the
     * same answer on every retry; `amountKopecks` is the payment's amount.
     *
     * @idempotency paymentId (the payment's completed -> refunded guard and the ledger key)
     * @throws ApplicationFailure typed NOT_FOUND, INVALID_INPUT (another subscription's payment, not
     *   RUB, or not completed)
     */
    async refundToBalance(input) {
      return asActivity(async () => {
        const result = await db.transaction(async (tx) => {
          const payment = await getPayment(tx, input.paymentId);
          if (payment === null) throw new RecordNotFoundError('payment');
          if (payment.subscription_id !== input.subscriptionId)
            throw new InvalidInputError(`payment ${payment.id} is not for subscription ${input.subscriptionId}`);
          if (payment.currency !== 'RUB')
            throw new InvalidInputError(`payment ${payment.id} is in ${payment.currency}; only RUB goes to the balance`);
          const amountKopecks = parseMoney(payment.amount).toString();
          const refund = await markPaymentRefunded(tx, { paymentId: payment.id, actor: input.actor, reason: 'refund_to_balance' });
          if (!refund.changed) {
            if (refund.payment.status === 'refunded') return { refunded: true, amountKopecks };
            throw new InvalidInputError(`payment ${payment.id} is ${refund.payment.status}; only a completed payment is refunded`);
          }
          await creditBalance(tx, {
            userId: payment.user_id,
            amount: payment.amount,
            reason: 'refund',
            source: { table: 'payments', id: payment.id },
            idempotencyKey: `refund:${payment.id}`,
            actor: input.actor,
          });
          return { refunded: true, amountKopecks };
        });
        log.info(
          { subscriptionId: input.subscriptionId, paymentId: input.paymentId, refunded: result.refunded, actor: input.actor.type },
          'refund to balance',
        );
        return result;
      });
    },

    /**
     * Pays the referrer of the payment's user their bonus (REFERRAL_BONUS_PERCENT of the amount
     * paid, rounded down, or the flat REFERRAL_BONUS_KOPECKS; a bonus that rounds to zero is not
     * paid and the referral waits for a later payment) through the
     * ledger, once per referred user (the referral's pending -> paid guard and the ledger key
     * `referral-bonus:<referredUserId>`), and tells the referrer (notification key
     * `referral-bonus:<referredUserId>`). Only a completed payment in money counts (not one paid
     * from the balance). `credited` and `amountKopecks` say whether (and how much) the bonus was
     * paid for this payment, by this call or an earlier attempt: the same answer on every retry,
     * and `false`/"0" for any later payment of the same user. The announcement is sent (once)
     * whenever the bonus was paid for this payment, so a retry after a transient Telegram failure
     * still delivers it; a referrer who blocked the bot is skipped (the outbox row says failed).
     *
     * @idempotency referred user id
     * @throws ApplicationFailure typed NOT_FOUND (payment), TELEGRAM_UNAVAILABLE (retryable; the
     *   credit is kept and not repeated)
     */
    async payReferralBonus(input) {
      return asActivity(async () => {
        const payment = await getPayment(db, input.paymentId);
        if (payment === null) throw new RecordNotFoundError('payment');
        let referral = await getReferralByReferredId(db, payment.user_id);
        if (referral === null) return { credited: false, referrerUserId: null, amountKopecks: '0' };

        const percent = deps.referralBonusPercent ?? null;
        // A percentage of what was actually paid (exact kopecks, rounded down); Stars payments earn it only as a flat bonus.
        const bonus =
          percent !== null && payment.currency !== 'RUB'
            ? null
            : referralBonusFor(parseMoney(payment.amount), { percent, flatKopecks: deps.referralBonusKopecks });
        const earns = payment.status === 'completed' && payment.payment_method !== 'balance' && bonus !== null && bonus > 0n;
        if (earns && referral.status === 'pending') {
          const result = await creditReferralBonus(db, {
            referredId: payment.user_id,
            bonusAmount: formatMoney(bonus),
            sourcePaymentId: payment.id,
            actor: LIFECYCLE_ACTOR,
          });
          referral = result.referral ?? referral;
          log.info({ paymentId: payment.id, referralId: referral.id, creditedNow: result.credited }, 'referral bonus');
        }
        const credited = referral.status === 'paid' && referral.source_payment_id === payment.id;
        const amountKopecks = credited && referral.bonus_amount !== null ? parseMoney(referral.bonus_amount).toString() : '0';
        if (credited) {
          try {
            await deps.deliver({
              userId: referral.referrer_id,
              kind: 'referral_bonus',
              key: `referral-bonus:${payment.user_id}`,
              params: { amountKopecks },
            });
          } catch (error) {
            const unreachable =
              error instanceof AppError && (error.code === ErrorCode.TELEGRAM_BLOCKED || error.code === ErrorCode.TELEGRAM_REJECTED);
            if (!unreachable) throw error;
          }
        }
        return { credited, referrerUserId: referral.referrer_id, amountKopecks };
      });
    },

    /**
     * Renews the subscription for its plan from the user's balance when the user opted in
     * (users.auto_renew) and the balance covers the plan's price_rub: in ONE transaction, creates a
     * completed payment (method and provider 'balance'), debits the price through the ledger
     * (reason 'subscription_purchase') and applies the payment (extendSubscriptionWithPayment), so a
     * crash can never debit without extending. Both the payment and the ledger row use the key
     * `auto-renew:<subscriptionId>:<endsAt>`, and the renewal's result is recorded under it
     * (period_changes) in the same transaction; a repeat (or a concurrent twin, which waits for the
     * subscription's row lock) returns the first renewal's recorded result.
     *
     * @param input.endsAt the period end this renewal continues (ISO 8601); must still be the
     *   subscription's end_date
     * @idempotency subscriptionId+endsAt
     * @returns `renewed: false` with 'not-opted-in', 'insufficient-balance' (nothing changed), or
     *   'plan-unavailable' (no plan, plan withdrawn, or free)
     * @throws ApplicationFailure typed SUBSCRIPTION_STATE_INVALID (pending or cancelled, or end_date
     *   is no longer `endsAt` because another payment moved it), NOT_FOUND, INVALID_INPUT (endsAt)
     */
    async tryAutoRenew(input) {
      return asActivity(async (): Promise<AutoRenewResult> => {
        const endsAt = canonicalInstant(input.endsAt);
        const key = `auto-renew:${input.subscriptionId}:${endsAt}`;
        const before = await renewedBefore(key);
        if (before !== null) return before;

        const row = await loadSubscription(db, input.subscriptionId);
        const user = await getUserById(db, row.user_id);
        if (user === null) throw new RecordNotFoundError('user');
        if (!user.auto_renew) return { renewed: false, reason: 'not-opted-in' };
        const plan = row.plan_id === null ? null : await getPlan(db, row.plan_id);
        if (plan === null || !plan.is_active || parseMoney(plan.price_rub) <= 0n) return { renewed: false, reason: 'plan-unavailable' };

        let result: AutoRenewResult;
        try {
          result = await db.transaction(async (tx): Promise<AutoRenewResult> => {
            const locked = await lockSubscription(tx, row.id);
            const recorded = await getPeriodChange(tx, key);
            if (recorded !== null) return recorded.result as AutoRenewResult;
            const order = {
              userId: row.user_id,
              subscriptionId: row.id,
              amount: plan.price_rub,
              method: 'balance',
              provider: 'balance',
            } as const;
            const { created, payment } = await createPayment(tx, { ...order, idempotencyKey: key, actor: LIFECYCLE_ACTOR });
            if (!created) return { renewed: true, paymentId: payment.id, snapshot: toSnapshot(locked) };
            if (locked.status !== 'active' && locked.status !== 'expired')
              throw new SubscriptionStateError(`subscription ${row.id} is ${locked.status}`);
            if (locked.end_date?.toISOString() !== endsAt)
              throw new SubscriptionStateError(`subscription ${row.id} no longer ends at ${endsAt}`);
            await debitBalance(tx, {
              userId: row.user_id,
              amount: plan.price_rub,
              reason: 'subscription_purchase',
              source: { table: 'payments', id: payment.id },
              idempotencyKey: key,
              actor: LIFECYCLE_ACTOR,
            });
            await markPaymentCompleted(tx, { paymentId: payment.id, actor: LIFECYCLE_ACTOR });
            const extended = await extendSubscriptionWithPayment(tx, {
              subscriptionId: row.id,
              paymentId: payment.id,
              ...planPeriod(plan),
              actor: LIFECYCLE_ACTOR,
            });
            if (!extended.applied) throw new SubscriptionStateError(`renewal payment ${payment.id} could not be applied`);
            const outcome: AutoRenewResult = { renewed: true, paymentId: payment.id, snapshot: toSnapshot(extended.subscription) };
            await recordPeriodChange(tx, { requestKey: key, subscriptionId: row.id, kind: 'auto_renew', result: outcome });
            return outcome;
          });
        } catch (error) {
          if (!(error instanceof InsufficientBalanceError)) throw error;
          log.info({ subscriptionId: row.id }, 'auto-renew: insufficient balance');
          return { renewed: false, reason: 'insufficient-balance' };
        }
        log.info({ subscriptionId: row.id, renewed: result.renewed }, 'auto-renewed from balance');
        return result;
      });
    },
  };
}
