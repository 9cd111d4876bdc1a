import { proxyActivities } from '@temporalio/workflow';
import type { PaymentReconcileActivities, WakeStalePaymentsResult } from '../activities/contracts/payment-reconcile-activities';
import { ActivityProfile } from './activity-options';

/** Input of the `payment-reconcile` Schedule's workflow. */
export interface PaymentReconcileInput {
  /** A pending payment older than this is asked about again, in minutes. */
  olderThanMinutes: number;
}

const reconciler = proxyActivities<PaymentReconcileActivities>(ActivityProfile.database);

/**
 * Run by the `payment-reconcile` Schedule: wakes the workflows of payments that stayed pending
 * past their expected time, so a lost webhook still completes or cancels the order.
 */
export async function paymentReconcileWorkflow(input: PaymentReconcileInput): Promise<WakeStalePaymentsResult> {
  return reconciler.wakeStalePayments({ olderThanMinutes: input.olderThanMinutes });
}
