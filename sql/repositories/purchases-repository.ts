import { sql, type CommonQueryMethods } from 'slonik';
import { paymentRow, type PaymentMethod, type PaymentRow } from '../schemas/payment-row';
import { subscriptionRow, type SubscriptionRow } from '../schemas/subscription-row';

/**
 * The user's newest pending subscription on `planId` that no payment has completed yet: a purchase
 * started again (the user pressed the button twice, or came back after a cancelled payment) reuses
 * it instead of creating another pending subscription. Null when there is none.
 */
export async function findUnpaidPendingSubscription(
  connection: CommonQueryMethods,
  input: { userId: number; planId: number },
): Promise<SubscriptionRow | null> {
  return connection.maybeOne(sql.type(subscriptionRow)`
    SELECT s.* FROM subscriptions s
    WHERE s.user_id = ${input.userId} AND s.plan_id = ${input.planId} AND s.status = 'pending'
      AND NOT EXISTS (
        SELECT 1 FROM payments p WHERE p.subscription_id = s.id AND p.status IN ('completed', 'refunded')
      )
    ORDER BY s.id DESC
    LIMIT 1
  `);
}

/**
 * The newest still-pending payment of a subscription with this method, amount and promo code (none
 * when `promoCodeId` is null or absent), so a repeated purchase shows the same invoice instead of
 * creating a second one. Null when there is none.
 */
export async function findPendingPayment(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; method: PaymentMethod; amount: string; currency: string; promoCodeId?: number | null },
): Promise<PaymentRow | null> {
  return connection.maybeOne(sql.type(paymentRow)`
    SELECT * FROM payments
    WHERE subscription_id = ${input.subscriptionId} AND payment_method = ${input.method} AND status = 'pending'
      AND promo_code_id IS NOT DISTINCT FROM ${input.promoCodeId ?? null}::int AND amount = ${input.amount}::numeric AND currency = ${input.currency}
    ORDER BY id DESC
    LIMIT 1
  `);
}
