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

/** The payment activities (implemented in activities/payment-activities.ts). */
export interface PaymentActivities {
  /**
   * Creates the payment's invoice (at the provider that took the order; for 'balance' debits the
   * ledger and completes the payment in one transaction; for 'stars' nothing). A payment that
   * already has an invoice gets the stored one back.
   * @idempotency paymentId (provider idempotency key, ledger key `payment:<id>:purchase`)
   */
  createInvoice(input: { paymentId: number }): Promise<InvoiceResult>;
  /** Re-reads the payment at its provider and applies the verdict. @idempotency paymentId (conditional status updates) */
  confirmPayment(input: { paymentId: number }): Promise<VerdictResult>;
  /** The verdict timeout: asks the provider one last time, withdraws the invoice, cancels. @idempotency paymentId */
  expirePayment(input: { paymentId: number }): Promise<VerdictResult>;
  /** Marks a payment failed when its invoice could not be created at all. @idempotency paymentId */
  abandonPayment(input: { paymentId: number; reason: PaymentFailureReason }): Promise<VerdictResult>;
  /**
   * Signal-with-start of `subscription-{subscriptionId}` with `paymentCompleted { paymentId }`;
   * nothing for a payment without a subscription (a balance top-up).
   * @idempotency paymentId (deduplicated by the receiving workflow)
   */
  notifySubscriptionOfPayment(input: { paymentId: number }): Promise<{ workflowId: string | null }>;
}

/** The payment mismatch report (implemented in activities/flag-payment-mismatch.ts). */
export interface PaymentMismatchActivities {
  /**
   * After a payment ended without completing: when it was flagged as paid but not matching its
   * order, tells the operators and then the user, each once per payment by its key.
   * `{ reported: false }` for a payment that was not flagged or has completed since.
   * @idempotency paymentId (the alert and the notification keys)
   */
  reportPaymentMismatch(input: { paymentId: number }): Promise<{ reported: boolean }>;
}

/** The message of a paid order without a subscription (implemented in activities/paid-order-activities.ts). */
export interface PaidOrderActivities {
  /**
   * After a payment without a subscription completed: tells the user their top-up is on the
   * balance (with the new balance), or their gift is ready (with its code); key
   * `paid-order:<paymentId>`. `{ sent: false }` for a payment that buys neither, one paid from the
   * balance (the bot answered at once), or a user who cannot be reached.
   * @idempotency paymentId (the notification key)
   */
  notifyPaidOrder(input: { paymentId: number }): Promise<{ sent: boolean }>;
}

/** How a checkout ended unpaid, as the user is told: failed, cancelled by the provider, or not paid in time. */
export type FailedCheckoutReason = 'failed' | 'cancelled' | 'expired';

/** The failed-checkout message (implemented in activities/failed-checkout-activities.ts). */
export interface FailedCheckoutActivities {
  /**
   * Tells the user, in their language, that the checkout ended unpaid (`reason`), that no money
   * was taken, the plan, and how to try again (Buy, or Renew for a renewal); key
   * `payment-failed:<paymentId>`. `{ sent: false }` when the payment is not failed/cancelled
   * (completed since) or the user cannot be reached (blocked the bot).
   * @idempotency paymentId (the notification key)
   */
  notifyFailedCheckout(input: { paymentId: number; reason: FailedCheckoutReason }): Promise<{ sent: boolean }>;
}
