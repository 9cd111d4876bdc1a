import assert from 'node:assert/strict';
import { isPaymentError, type PaymentError } from '../../lib/payments/payment-errors';

/** Test helper: awaits `promise`, asserts it rejects with a PaymentError, and returns that error. */
export async function rejectsWithPaymentError(promise: Promise<unknown>): Promise<PaymentError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPaymentError(error), `expected a PaymentError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}
