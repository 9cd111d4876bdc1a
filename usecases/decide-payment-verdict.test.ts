import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PaymentSnapshot } from '../lib/payments/payment-provider';
import { decidePaymentVerdict, type VerdictOrder } from './decide-payment-verdict';

const order: VerdictOrder = { id: 42, status: 'pending', amount: '249.00', currency: 'RUB' };
const paid: PaymentSnapshot = { externalId: 'ext-1', status: 'succeeded', amountKopecks: 24_900n, currency: 'RUB', orderId: 42 };

describe('decidePaymentVerdict', () => {
  it('completes a succeeded payment that matches the order exactly', () => {
    assert.deepEqual(decidePaymentVerdict(order, paid), { action: 'complete' });
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, currency: 'rub' }), { action: 'complete' });
  });

  it('flags a succeeded payment for another amount, currency or order, and never completes it', () => {
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, amountKopecks: 24_800n }), { action: 'flag-mismatch', mismatches: ['amount'] });
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, amountKopecks: 24_901n }), { action: 'flag-mismatch', mismatches: ['amount'] });
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, currency: 'USD' }), { action: 'flag-mismatch', mismatches: ['currency'] });
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, orderId: 43 }), { action: 'flag-mismatch', mismatches: ['order-id'] });
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, orderId: null, amountKopecks: 1n }), {
      action: 'flag-mismatch',
      mismatches: ['order-id', 'amount'],
    });
  });

  it('cancels on canceled or expired, with the provider reason when given', () => {
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, status: 'canceled', cancellationReason: 'insufficient_funds' }), {
      action: 'cancel',
      reason: 'insufficient_funds',
    });
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, status: 'expired' }), { action: 'cancel', reason: 'expired' });
  });

  it('waits while the provider says pending', () => {
    assert.deepEqual(decidePaymentVerdict(order, { ...paid, status: 'pending' }), { action: 'wait' });
  });

  it('never touches a completed or refunded order, whatever the provider says', () => {
    for (const status of ['completed', 'refunded'] as const) {
      for (const snapshot of [paid, { ...paid, status: 'canceled' as const }, { ...paid, amountKopecks: 1n }]) {
        assert.deepEqual(decidePaymentVerdict({ ...order, status }, snapshot), { action: 'already-completed' });
      }
    }
  });

  it('lets the provider verdict complete an order we had cancelled or failed', () => {
    assert.deepEqual(decidePaymentVerdict({ ...order, status: 'cancelled' }, paid), { action: 'complete' });
    assert.deepEqual(decidePaymentVerdict({ ...order, status: 'failed' }, paid), { action: 'complete' });
  });
});
