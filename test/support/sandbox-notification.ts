/**
 * A card payment through the sandbox provider (249.00 RUB, external id `inv-<id>`) and the
 * notification body the sandbox sends about it, for tests of the webhook routes.
 */
import type { CommonQueryMethods } from 'slonik';
import { createPayment, setPaymentExternalId } from '../../sql/repositories/payments-repository';
import { newUser, testActor } from './db-fixtures';
import type { PaymentRow } from '../../sql/schemas/payment-row';

/** A new user's pending sandbox payment, with its external id set. */
export async function sandboxPayment(pool: CommonQueryMethods): Promise<PaymentRow> {
  const user = await newUser(pool);
  const { payment } = await createPayment(pool, {
    userId: user.id,
    subscriptionId: null,
    amount: '249.00',
    method: 'card',
    provider: 'sandbox',
    actor: testActor,
  });
  return setPaymentExternalId(pool, { paymentId: payment.id, externalId: `inv-${payment.id}`, actor: testActor });
}

/** The sandbox's notification body (unsigned) saying the payment's invoice succeeded. */
export function sandboxNotification(
  payment: { id: number; external_id: string | null },
  event = 'payment.succeeded',
  description = 'VPN',
): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    event,
    invoice: {
      id: payment.external_id,
      orderId: payment.id,
      amount: '249.00',
      currency: 'RUB',
      description,
      method: 'card',
      returnUrl: 'https://t.me/bot',
      status: 'succeeded',
      createdAt: now,
      expiresAt: now,
      paidAt: now,
      refundedAmount: '0.00',
    },
  });
}
