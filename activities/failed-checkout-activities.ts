import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { getPayment } from '../sql/repositories/payments-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { getTopUpByPayment } from '../sql/repositories/top-ups-repository';
import type { FailedCheckoutActivities } from './contracts/payment-activities';
import type { DeliverNotification } from './notify-activities';
import { asActivity } from './to-activity-failure';

/** Dependencies of {@link createFailedCheckoutActivities}. */
export interface FailedCheckoutActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** The notification outbox delivery (activities/notify-activities.ts). */
  deliver: DeliverNotification;
}

/** The notification key of a payment's failed-checkout message: one message per payment. */
export function failedCheckoutKey(paymentId: number): string {
  return `payment-failed:${paymentId}`;
}

/** The activity that tells a user their checkout ended unpaid; see {@link FailedCheckoutActivities}. */
export function createFailedCheckoutActivities(deps: FailedCheckoutActivityDeps): FailedCheckoutActivities {
  const log = deps.logger.child({ component: 'activity:failed-checkout' });
  return {
    async notifyFailedCheckout(input) {
      return asActivity(async () => {
        const payment = await getPayment(deps.db, input.paymentId);
        if (payment === null) throw new RecordNotFoundError('payment');
        if (payment.status !== 'failed' && payment.status !== 'cancelled') return { sent: false };
        const subscription = payment.subscription_id === null ? null : await getSubscription(deps.db, payment.subscription_id);
        // A subscription that was ever live is being renewed; a pending one is a first purchase. The
        // delivery names the subscription's plan in the user's language.
        const action =
          subscription !== null && subscription.status !== 'pending'
            ? 'renew'
            : subscription === null && (await getTopUpByPayment(deps.db, payment.id)) !== null
              ? 'top_up'
              : 'buy';
        try {
          await deps.deliver({
            userId: payment.user_id,
            kind: 'payment_failed',
            key: failedCheckoutKey(payment.id),
            ...(payment.subscription_id === null ? {} : { subscriptionId: payment.subscription_id }),
            params: { reason: input.reason, action },
          });
        } catch (error) {
          if (!(error instanceof AppError) || (error.code !== ErrorCode.TELEGRAM_BLOCKED && error.code !== ErrorCode.TELEGRAM_REJECTED))
            throw error;
          log.warn(
            { paymentId: payment.id, userId: payment.user_id, code: error.code },
            'the user could not be told about the failed checkout',
          );
          return { sent: false };
        }
        return { sent: true };
      });
    },
  };
}
