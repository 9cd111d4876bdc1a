/**
 * The contract of the provider reconciler (implemented in activities/payment-reconcile-activities.ts),
 * run by the `payment-reconcile` Schedule's workflow.
 */

/** What one reconciler sweep did. */
export interface WakeStalePaymentsResult {
  /** Pending payments older than the threshold. */
  stale: number;
  /** Payment workflows signalled to ask their provider again. */
  woken: number[];
  /** Payments whose workflow could not be signalled (retried by the next run). */
  failed: number[];
}

/** The provider reconciler's activity. */
export interface PaymentReconcileActivities {
  /**
   * Signals `paymentVerdict` (source 'reconciler') to the workflow of every payment still pending
   * after `olderThanMinutes`. @idempotency the workflow asks the provider; a repeated signal asks again
   */
  wakeStalePayments(input: { olderThanMinutes: number; limit?: number }): Promise<WakeStalePaymentsResult>;
}
