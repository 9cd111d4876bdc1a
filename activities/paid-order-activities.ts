import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { parseMoney } from '../lib/money';
import { getGiftByPayment } from '../sql/repositories/gifts-repository';
import { getBalance } from '../sql/repositories/ledger-repository';
import { getPayment } from '../sql/repositories/payments-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { getTopUpByPayment } from '../sql/repositories/top-ups-repository';
import { getUserById } from '../sql/repositories/users-repository';
import { notificationLocale } from '../texts/notifications/notification-texts';
import { planName } from '../usecases/plan-names';
import type { PaidOrderActivities } from './contracts/payment-activities';
import type { NotifyInput } from './contracts/lifecycle-activities';
import type { DeliverNotification } from './notify-activities';
import { asActivity } from './to-activity-failure';

/** Dependencies of {@link createPaidOrderActivities}. */
export interface PaidOrderActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** The notification outbox delivery (activities/notify-activities.ts). */
  deliver: DeliverNotification;
}

/** The notification key of a paid order's message: one message per payment. */
export function paidOrderKey(paymentId: number): string {
  return `paid-order:${paymentId}`;
}

/** The activity that tells a user their top-up or gift is paid; see {@link PaidOrderActivities}. */
export function createPaidOrderActivities(deps: PaidOrderActivityDeps): PaidOrderActivities {
  const log = deps.logger.child({ component: 'activity:paid-order' });

  /** The message for the payment's order, or null when there is nothing to tell. */
  async function messageOf(paymentId: number): Promise<NotifyInput | null> {
    const payment = await getPayment(deps.db, paymentId);
    if (payment === null) throw new RecordNotFoundError('payment');
    if (payment.status !== 'completed' || payment.payment_method === 'balance') return null;
    const key = paidOrderKey(payment.id);
    const topUp = await getTopUpByPayment(deps.db, payment.id);
    if (topUp !== null) {
      if (topUp.credited_at === null) return null;
      // The balance as it stands now (a retry after a failed send shows it as it then stands).
      const balance = await getBalance(deps.db, payment.user_id);
      return {
        userId: payment.user_id,
        kind: 'balance_topped_up',
        key,
        params: { amountKopecks: parseMoney(topUp.amount).toString(), balanceKopecks: parseMoney(balance).toString() },
      };
    }
    const gift = await getGiftByPayment(deps.db, payment.id);
    if (gift === null || gift.paid_at === null) return null;
    const [plan, user] = await Promise.all([getPlan(deps.db, gift.plan_id), getUserById(deps.db, payment.user_id)]);
    return {
      userId: payment.user_id,
      kind: 'gift_paid',
      key,
      params: {
        giftCode: gift.code,
        ...(plan === null ? {} : { planName: planName(plan, notificationLocale(user?.language_code ?? null)) }),
      },
    };
  }

  return {
    async notifyPaidOrder(input) {
      return asActivity(async () => {
        const message = await messageOf(input.paymentId);
        if (message === null) return { sent: false };
        try {
          await deps.deliver(message);
        } catch (error) {
          if (!(error instanceof AppError) || (error.code !== ErrorCode.TELEGRAM_BLOCKED && error.code !== ErrorCode.TELEGRAM_REJECTED))
            throw error;
          log.warn(
            { paymentId: input.paymentId, userId: message.userId, code: error.code },
            'the user could not be told about the paid order',
          );
          return { sent: false };
        }
        return { sent: true };
      });
    },
  };
}
