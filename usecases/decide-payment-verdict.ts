/**
 * What to do with a payment once the provider has been asked about it. Pure, so the rules that
 * decide whether money turns into a subscription are unit-tested without a provider or a database.
 * The provider's own answer (`fetchStatus`, read with the shop's credentials) is the only input
 * trusted; what a webhook claimed never reaches this function.
 */
import { parseMoney } from '../lib/money';
import { matchesOrder, type OrderMismatch, type PaymentSnapshot } from '../lib/payments/payment-provider';

/** The order as `payments` stores it. */
export interface VerdictOrder {
  /** `payments.id`. */
  id: number;
  /** `payments.status`. */
  status: 'pending' | 'completed' | 'failed' | 'cancelled' | 'refunded';
  /** `payments.amount`, decimal text ("249.00"). */
  amount: string;
  /** `payments.currency`. */
  currency: string;
}

/** The decision. */
export type PaymentVerdict =
  /** The provider says paid, for exactly this order: mark completed (once) and provision. */
  | { action: 'complete' }
  /** Paid, but not for this order's amount, currency or id: never provision; flag it for an operator. */
  | { action: 'flag-mismatch'; mismatches: OrderMismatch[] }
  /** The provider cancelled it or it expired unpaid: mark cancelled. */
  | { action: 'cancel'; reason: string }
  /** Still waiting for the payer. */
  | { action: 'wait' }
  /** Already completed (or refunded) here: nothing to change, the subscription was told already. */
  | { action: 'already-completed' };

/**
 * Decides from the stored order and the provider's snapshot. A succeeded payment completes the
 * order only when order id, amount (exact kopecks) and currency all match; a completed order is
 * never touched again; a cancelled or failed one can still complete when the provider says the
 * money arrived (the provider's verdict wins over our timeout).
 */
export function decidePaymentVerdict(order: VerdictOrder, snapshot: PaymentSnapshot): PaymentVerdict {
  if (order.status === 'completed' || order.status === 'refunded') return { action: 'already-completed' };
  switch (snapshot.status) {
    case 'succeeded': {
      const match = matchesOrder({ id: order.id, amountKopecks: parseMoney(order.amount), currency: order.currency }, snapshot);
      return match.ok ? { action: 'complete' } : { action: 'flag-mismatch', mismatches: match.mismatches };
    }
    case 'canceled':
    case 'expired':
      return { action: 'cancel', reason: snapshot.cancellationReason ?? snapshot.status };
    case 'pending':
      return { action: 'wait' };
  }
}
