/**
 * The decision for a Telegram `pre_checkout_query`, as a pure function, so the bot can answer
 * within Telegram's 10 s from one indexed read of the order, with no Temporal round trip. Access
 * is granted only later, on `successful_payment`; this only refuses checkouts that cannot be right.
 */
import { parseStarsPayload } from './stars-payload';

/** The order as the bot loaded it (by the id in the payload). */
export interface StarsOrder {
  /** `payments.id`. */
  id: number;
  /** `payments.status`: only 'pending' can be paid. */
  status: string;
  /** 'XTR' for Stars orders. */
  currency: string;
  /** Whole Stars the invoice was issued for. */
  amountStars: number;
  /** The Telegram user the invoice was issued to; when given, someone else cannot pay it. */
  payerTelegramId?: number;
}

/** The fields of a `pre_checkout_query` the check reads (grammY's `PreCheckoutQuery` fits). */
export interface PreCheckoutQueryLike {
  from: { id: number };
  currency: string;
  total_amount: number;
  invoice_payload: string;
}

/** Why a checkout is refused; the bot maps each to a localized `error_message`. */
export type PreCheckoutRefusal =
  'unknown-payload' | 'order-not-found' | 'wrong-currency' | 'wrong-amount' | 'wrong-payer' | 'already-paid' | 'not-payable';

/** The decision: answer `ok: true`, or `ok: false` with a message for `reason`. */
export type PreCheckoutDecision = { ok: true; orderId: number } | { ok: false; reason: PreCheckoutRefusal };

/**
 * Decides a pre-checkout query. `order` is what the bot found for `parseStarsPayload(query.invoice_payload)`
 * (null when nothing). Checks, in order: the payload is ours, the order exists and is the one named,
 * it is not paid already, it is still payable, the currency is XTR as ordered, the amount matches
 * exactly, and the payer is the user it was issued to.
 */
export function checkPreCheckout(order: StarsOrder | null, query: PreCheckoutQueryLike): PreCheckoutDecision {
  const orderId = parseStarsPayload(query.invoice_payload);
  if (orderId === null) return { ok: false, reason: 'unknown-payload' };
  if (order === null || order.id !== orderId) return { ok: false, reason: 'order-not-found' };
  if (order.status === 'completed' || order.status === 'refunded') return { ok: false, reason: 'already-paid' };
  if (order.status !== 'pending') return { ok: false, reason: 'not-payable' };
  if (query.currency !== 'XTR' || order.currency !== 'XTR') return { ok: false, reason: 'wrong-currency' };
  if (query.total_amount !== order.amountStars) return { ok: false, reason: 'wrong-amount' };
  if (order.payerTelegramId !== undefined && order.payerTelegramId !== query.from.id) return { ok: false, reason: 'wrong-payer' };
  return { ok: true, orderId };
}
