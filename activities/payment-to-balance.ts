import type { CommonQueryMethods } from 'slonik';
import { formatMoney, parseMoney, type Kopecks } from '../lib/money';
import type { Actor } from '../sql/repositories/audit-repository';
import { creditBalance } from '../sql/repositories/ledger-repository';
import { markPaymentRefunded } from '../sql/repositories/payments-repository';
import type { PaymentRow } from '../sql/schemas/payment-row';
import type { SubscriptionPlanRow } from '../sql/schemas/subscription-plan-row';

/**
 * What a payment is worth on the RUB balance: its amount for a RUB payment; for another currency
 * (Telegram Stars), the plan's RUB price, discounted by the same share as the payment was (amount /
 * list_price) when a promo code applied. Rounded down to the kopeck.
 */
export function balanceValueOf(payment: PaymentRow, plan: SubscriptionPlanRow | null): Kopecks {
  if (payment.currency === 'RUB') return parseMoney(payment.amount);
  const price = plan === null ? 0n : parseMoney(plan.price_rub);
  if (payment.list_price === null) return price;
  const list = parseMoney(payment.list_price);
  return list <= 0n ? price : (price * parseMoney(payment.amount)) / list;
}

/**
 * Credits a completed payment that cannot apply (its subscription is cancelled) to the user's
 * balance: marks it refunded (reason 'subscription_cancelled', audited) and credits its worth
 * through the ledger with the key `refund:<paymentId>` (the operator refund's key, so the two paths
 * can never both credit it), in the caller's transaction.
 *
 * @idempotency paymentId (the completed -> refunded guard and the ledger key)
 * @returns the kopecks credited by this call, or null when the payment is not completed (pending,
 *   already refunded) or worth nothing
 */
export async function creditPaymentToBalance(
  tx: CommonQueryMethods,
  input: { payment: PaymentRow; plan: SubscriptionPlanRow | null; actor: Actor },
): Promise<Kopecks | null> {
  const worth = balanceValueOf(input.payment, input.plan);
  if (input.payment.status !== 'completed' || worth <= 0n) return null;
  const refund = await markPaymentRefunded(tx, { paymentId: input.payment.id, actor: input.actor, reason: 'subscription_cancelled' });
  if (!refund.changed) return null;
  await creditBalance(tx, {
    userId: input.payment.user_id,
    amount: formatMoney(worth),
    reason: 'refund',
    source: { table: 'payments', id: input.payment.id },
    idempotencyKey: `refund:${input.payment.id}`,
    actor: input.actor,
  });
  return worth;
}
