/**
 * The contract between `payment-{paymentId}` and its activities: plain JSON results (no bigint,
 * no Date), imported by the workflow as types only.
 */

/** Why a payment ended as failed. */
export type PaymentFailureReason =
  /** 'balance': the user's balance was lower than the price. */
  | 'insufficient-balance'
  /** The provider refused to create the invoice (a 4xx; the request needs fixing). */
  | 'provider-rejected'
  /** No configured provider takes the payment's method. */
  | 'method-unavailable'
  /** The provider says paid, but not this order's amount, currency or id (flagged for operators). */
  | 'order-mismatch'
  /** The provider stayed unreachable for the whole retry budget of invoice creation. */
  | 'provider-unavailable';

/** What `createInvoice` did. */
export type InvoiceResult =
  /** Waiting for the payer; `confirmationUrl` is null for Telegram Stars (the bot sends the invoice). */
  | { kind: 'awaiting'; confirmationUrl: string | null }
  /** Paid already ('balance': debited and completed in one transaction; or completed earlier). */
  | { kind: 'completed' }
  | { kind: 'failed'; reason: PaymentFailureReason }
  /** The payment was settled (failed or cancelled) before this run and has no invoice to wait on. */
  | { kind: 'closed'; status: 'failed' | 'cancelled' };

/** Where a payment stands after `confirmPayment` or `expirePayment`. */
export interface VerdictResult {
  status: 'pending' | 'completed' | 'failed' | 'cancelled';
  /** True only for the one call that marked the payment completed. */
  completedNow: boolean;
  failureReason?: PaymentFailureReason;
}
