import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { formatMoney, parseMoney } from '../lib/money';
import type { OrderMismatch, PaymentSnapshot } from '../lib/payments/payment-provider';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import { getPayment, markPaymentFailed } from '../sql/repositories/payments-repository';
import type { PaymentRow } from '../sql/schemas/payment-row';
import type { AlertActivities } from './contracts/alert-activities';
import type { DeliverNotification } from './notify-activities';
import { asActivity } from './to-activity-failure';

/**
 * A provider says a payment succeeded, but not for this order's amount, currency or id: marks it
 * failed (when still pending) and writes `payment.mismatch_flagged` with `needs_operator: true`
 * and both sides of the comparison, in one transaction. Nothing is provisioned; an operator
 * decides (refund, or complete by hand). The payment workflow then calls `reportPaymentMismatch`
 * (below), which tells the operators and the user.
 *
 * @idempotency paymentId (the status change and the flag: a payment is flagged once, whatever
 *   retries or redeliveries ask again)
 * @returns the payment row afterwards
 */
export async function flagPaymentMismatch(
  connection: CommonQueryMethods,
  input: { payment: PaymentRow; snapshot: PaymentSnapshot; mismatches: OrderMismatch[]; actor: Actor },
): Promise<PaymentRow> {
  const { payment, snapshot } = input;
  return connection.transaction(async (tx) => {
    // Flagged once: a retry, or a later run asked by a redelivery, finds the flag and writes nothing.
    const failed = await markPaymentFailed(tx, { paymentId: payment.id, actor: input.actor, reason: 'order-mismatch' });
    if (!failed.changed && (await latestMismatchFlag(tx, payment.id)) !== null) return failed.payment;
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'payment.mismatch_flagged',
      entityType: 'payment',
      entityId: payment.id,
      userId: payment.user_id,
      details: {
        needs_operator: true,
        mismatches: input.mismatches,
        provider: payment.provider,
        external_id: payment.external_id,
        expected: { amount: payment.amount, currency: payment.currency },
        reported: { amount: formatMoney(snapshot.amountKopecks), currency: snapshot.currency, order_id: snapshot.orderId },
      },
    });
    return failed.payment;
  });
}

/** What `payment.mismatch_flagged` records (see {@link flagPaymentMismatch}); read leniently. */
const flaggedDetails = z.object({
  mismatches: z.array(z.string()).catch([]),
  provider: z.string().nullable().catch(null),
  external_id: z.string().nullable().catch(null),
  expected: z.object({ amount: z.string(), currency: z.string() }).nullable().catch(null),
  reported: z.object({ amount: z.string(), currency: z.string(), order_id: z.number().nullable() }).nullable().catch(null),
});

/** The latest `payment.mismatch_flagged` of a payment, or null when it was never flagged. */
async function latestMismatchFlag(connection: CommonQueryMethods, paymentId: number): Promise<z.infer<typeof flaggedDetails> | null> {
  const details = await connection.maybeOneFirst(sql.type(z.object({ details: z.unknown() }))`
    SELECT details FROM audit_logs
    WHERE action = 'payment.mismatch_flagged' AND entity_type = 'payment' AND entity_id = ${paymentId}
    ORDER BY id DESC LIMIT 1
  `);
  if (details === null) return null;
  const parsed = flaggedDetails.safeParse(details);
  return parsed.success ? parsed.data : { mismatches: [], provider: null, external_id: null, expected: null, reported: null };
}

/** The operators' summary of a flagged payment: ids, amounts, what differs; no payload, no secrets. */
function mismatchSummary(payment: PaymentRow, flag: z.infer<typeof flaggedDetails>): string {
  const expected = flag.expected ?? { amount: payment.amount, currency: payment.currency };
  const reported =
    flag.reported === null
      ? 'an unknown amount'
      : `${flag.reported.amount} ${flag.reported.currency} for order ${flag.reported.order_id ?? '?'}`;
  return (
    `Payment ${payment.id} of user ${payment.user_id} (${flag.provider ?? payment.provider} ${flag.external_id ?? payment.external_id ?? '-'}) was paid but does not match ` +
    `its order (${flag.mismatches.join(', ') || 'mismatch'}): expected ${expected.amount} ${expected.currency}, the provider reports ${reported}. ` +
    `It is ${payment.status} and nothing was provisioned; the user was told it is under review. Refund it or complete it by hand.`
  );
}

/** Dependencies of {@link createPaymentMismatchActivities}. */
export interface PaymentMismatchActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** The notification outbox delivery (activities/notify-activities.ts). */
  deliver: DeliverNotification;
  /** The operator alert channel (activities/contracts/alert-activities.ts). */
  alertOperators: AlertActivities['alertOperators'];
}

/** The operator alert key of a payment's mismatch: one alert per payment. */
export function paymentMismatchAlertKey(paymentId: number): string {
  return `payment_mismatch:payment-${paymentId}`;
}

/** The notification key of a payment's "under review" message: one message per payment. */
export function paymentUnderReviewKey(paymentId: number): string {
  return `payment_under_review:payment-${paymentId}`;
}

/** The activity that reports a flagged mismatch; see {@link flagPaymentMismatch}. */
export function createPaymentMismatchActivities(deps: PaymentMismatchActivityDeps) {
  const log = deps.logger.child({ component: 'activity:payment-mismatch' });
  return {
    /**
     * After a payment ended without completing: when it was flagged as paid but not matching its
     * order (`payment.mismatch_flagged`), tells the operators (alert kind 'payment_mismatch', key
     * `payment_mismatch:payment-<id>`) and then the user (`payment_under_review`: under review,
     * support will contact them; key `payment_under_review:payment-<id>`), each once per payment
     * by its key. `{ reported: false }` for a payment that was not flagged or has completed since
     * (an operator settled it). A user who blocked the bot, or whom Telegram refuses, is logged and
     * skipped; an unreachable Telegram fails the attempt (retryable; the alert is not repeated).
     *
     * @idempotency paymentId (the alert and the notification keys)
     * @throws ApplicationFailure NOT_FOUND for an unknown payment; TELEGRAM_UNAVAILABLE (retryable)
     */
    async reportPaymentMismatch(input: { paymentId: number }): Promise<{ reported: boolean }> {
      return asActivity(async () => {
        const payment = await getPayment(deps.db, input.paymentId);
        if (payment === null) throw new RecordNotFoundError('payment');
        if (payment.status === 'completed' || payment.status === 'refunded' || payment.status === 'pending') return { reported: false };
        const flag = await latestMismatchFlag(deps.db, payment.id);
        if (flag === null) return { reported: false };
        await deps.alertOperators({
          kind: 'payment_mismatch',
          key: paymentMismatchAlertKey(payment.id),
          summary: mismatchSummary(payment, flag),
          userId: payment.user_id,
          paymentId: payment.id,
          ...(payment.subscription_id === null ? {} : { subscriptionId: payment.subscription_id }),
        });
        try {
          await deps.deliver({
            userId: payment.user_id,
            kind: 'payment_under_review',
            key: paymentUnderReviewKey(payment.id),
            params: payment.currency === 'RUB' ? { amountKopecks: parseMoney(payment.amount).toString() } : {},
          });
        } catch (error) {
          if (!(error instanceof AppError) || (error.code !== ErrorCode.TELEGRAM_BLOCKED && error.code !== ErrorCode.TELEGRAM_REJECTED))
            throw error;
          log.warn(
            { paymentId: payment.id, userId: payment.user_id, code: error.code },
            'the user could not be told about the payment under review',
          );
        }
        return { reported: true };
      });
    },
  };
}
