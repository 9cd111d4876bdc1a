import { ApplicationFailure } from '@temporalio/common';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { signalPaymentVerdict } from '../clients/payment-workflow-client';
import { listStalePendingPayments } from '../sql/repositories/payments-repository';
import type { PaymentActivityDeps } from './payment-activities';
import type { PaymentReconcileActivities, WakeStalePaymentsResult } from './contracts/payment-reconcile-activities';

/** Dependencies of the payment reconciler's activity. */
export interface PaymentReconcileDeps {
  db: DatabasePool;
  logger: Logger;
  payments?: PaymentActivityDeps | undefined;
}

export type { WakeStalePaymentsResult } from './contracts/payment-reconcile-activities';

/**
 * The provider reconciler: a webhook can be lost (the provider gave up, the api was down), so
 * payments still pending after `olderThanMinutes` get a `paymentVerdict` signal with source
 * 'reconciler'. Their workflow then asks the provider (the source of truth) and completes or
 * cancels the order exactly as a webhook would have; one that already ended runs again.
 */
export function createPaymentReconcileActivities(deps: PaymentReconcileDeps): PaymentReconcileActivities {
  return {
    /**
     * @idempotency none needed: a verdict signal only makes the workflow re-read the provider
     * @throws ApplicationFailure CONFIG_INVALID (non-retryable) when the worker has no payment deps
     */
    async wakeStalePayments(input: { olderThanMinutes: number; limit?: number }): Promise<WakeStalePaymentsResult> {
      const payments = deps.payments;
      if (payments === undefined) throw ApplicationFailure.nonRetryable('payment dependencies are not configured', 'CONFIG_INVALID');
      const stale = await listStalePendingPayments(deps.db, {
        olderThan: new Date(Date.now() - input.olderThanMinutes * 60_000),
        limit: input.limit ?? 100,
      });
      const result: WakeStalePaymentsResult = { stale: stale.length, woken: [], failed: [] };
      const target = {
        client: payments.temporal.client,
        taskQueue: payments.temporal.taskQueue,
        timeoutMinutes: input.olderThanMinutes + 60,
      };
      for (const payment of stale) {
        try {
          await signalPaymentVerdict(target, payment, { source: 'reconciler' });
          result.woken.push(payment.id);
        } catch {
          result.failed.push(payment.id);
        }
      }
      if (result.failed.length > 0)
        deps.logger.warn({ component: 'activity:payment-reconcile', failed: result.failed }, 'some stale payments could not be signalled');
      return result;
    },
  };
}
