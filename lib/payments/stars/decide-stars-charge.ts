/**
 * What to do with one Telegram Stars charge, as a pure function: apply it to the order its
 * payload names, or refund it. Telegram has already taken the Stars, so there is no "ignore":
 * a charge we cannot serve goes back to the payer. The settlement activity takes this decision
 * once, under the charge's and the order's row locks, and records it.
 */
import { parseStarsPayload } from './stars-payload';

/** The charge as Telegram reported it (successful_payment or a StarTransaction). */
export interface StarsChargeFacts {
  telegramPaymentChargeId: string;
  telegramUserId: number;
  invoicePayload: string;
  currency: string;
  /** Whole Stars. */
  totalAmount: number;
  /** Telegram's transaction list already shows this charge refunded (by an operator, outside us). */
  refundedAtTelegram?: boolean;
}

/** The order the payload names, as the activity loaded it (null when there is none). */
export interface StarsChargeOrder {
  /** `payments.id`. */
  id: number;
  /** `payments.status`. */
  status: 'pending' | 'completed' | 'failed' | 'cancelled' | 'refunded';
  /** `payments.payment_method`. */
  method: string;
  currency: string;
  /** Whole Stars the invoice was issued for (null when the amount is not whole Stars). */
  amountStars: number | null;
  /** `payments.external_id`: the charge that completed it, once one did. */
  externalId: string | null;
  /** The Telegram id of the user the order belongs to. */
  payerTelegramId: number;
  /** Status of the subscription it pays for; null when there is none. */
  subscriptionStatus: 'pending' | 'active' | 'expired' | 'cancelled' | null;
  /** An order that buys no subscription: a balance top-up or a gift (served without one). */
  standalone?: boolean;
}

/** Why a charge is refunded. */
export type StarsRefundReason =
  /** The payload names no order of ours (or not a Stars order). */
  | 'unknown-order'
  /** Paid in another currency or another amount than the order's. */
  | 'amount-mismatch'
  /** Paid by someone else than the order's user. */
  | 'wrong-payer'
  /** The order was already completed by another charge (two invoices of one order, both paid). */
  | 'second-charge'
  /** The order can no longer be served (refunded, or its subscription cancelled). */
  | 'order-closed'
  /** Telegram already shows it refunded: the refund call only confirms it (CHARGE_ALREADY_REFUNDED). */
  | 'refunded-at-telegram';

/** The decision. */
export type StarsChargeDecision =
  | { action: 'apply'; paymentId: number }
  /** This very charge already completed the order (a repeat). */
  | { action: 'already-applied'; paymentId: number }
  | { action: 'refund'; reason: StarsRefundReason; paymentId: number | null };

/**
 * Decides a charge. Checks, in order: Telegram has not refunded it already (then it is only
 * confirmed refunded, never applied); the payload names a Stars order that exists; the charge is
 * the one that already completed it (repeat); the order is not completed by another charge or
 * closed; currency and amount match exactly; the payer is the order's user; the subscription can
 * still be served (not cancelled), or the order needs none (a top-up or a gift). A pending, cancelled (timed out) or failed order is applied:
 * the money arrived, and the provider's verdict wins over our timeout.
 */
export function decideStarsCharge(charge: StarsChargeFacts, order: StarsChargeOrder | null): StarsChargeDecision {
  const orderId = parseStarsPayload(charge.invoicePayload);
  if (charge.refundedAtTelegram === true && (order === null || order.externalId !== charge.telegramPaymentChargeId)) {
    return { action: 'refund', reason: 'refunded-at-telegram', paymentId: order?.id ?? null };
  }
  if (orderId === null || order === null || order.id !== orderId || order.method !== 'stars') {
    return { action: 'refund', reason: 'unknown-order', paymentId: order?.id ?? null };
  }
  const refund = (reason: StarsRefundReason): StarsChargeDecision => ({ action: 'refund', reason, paymentId: order.id });
  if (order.externalId === charge.telegramPaymentChargeId && (order.status === 'completed' || order.status === 'refunded')) {
    return { action: 'already-applied', paymentId: order.id };
  }
  if (order.status === 'completed' || order.externalId !== null) return refund('second-charge');
  if (order.status === 'refunded') return refund('order-closed');
  if (charge.currency !== 'XTR' || order.currency !== 'XTR' || order.amountStars !== charge.totalAmount) return refund('amount-mismatch');
  if (order.payerTelegramId !== charge.telegramUserId) return refund('wrong-payer');
  if (order.subscriptionStatus === 'cancelled' || (order.subscriptionStatus === null && order.standalone !== true))
    return refund('order-closed');
  return { action: 'apply', paymentId: order.id };
}
