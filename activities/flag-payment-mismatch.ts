import type { CommonQueryMethods } from 'slonik';
import { formatMoney } from '../lib/money';
import type { OrderMismatch, PaymentSnapshot } from '../lib/payments/payment-provider';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import { markPaymentFailed } from '../sql/repositories/payments-repository';
import type { PaymentRow } from '../sql/schemas/payment-row';

/**
 * A provider says a payment succeeded, but not for this order's amount, currency or id: marks it
 * failed (when still pending) and writes `payment.mismatch_flagged` with `needs_operator: true`
 * and both sides of the comparison, in one transaction. Nothing is provisioned; an operator
 * decides (refund, or complete by hand).
 *
 * @idempotency paymentId (the status change); a retry after commit may add a second audit row
 * @returns the payment row afterwards
 */
export async function flagPaymentMismatch(
  connection: CommonQueryMethods,
  input: { payment: PaymentRow; snapshot: PaymentSnapshot; mismatches: OrderMismatch[]; actor: Actor },
): Promise<PaymentRow> {
  const { payment, snapshot } = input;
  return connection.transaction(async (tx) => {
    const failed = await markPaymentFailed(tx, { paymentId: payment.id, actor: input.actor, reason: 'order-mismatch' });
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
