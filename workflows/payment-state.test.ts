import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterInvoice, afterVerdict, initialPaymentState, isFinalPhase, paymentTimeoutMs } from './payment-state';

describe('payment workflow state', () => {
  const start = initialPaymentState(7);

  it('moves out of creating according to the invoice result', () => {
    assert.deepEqual(afterInvoice(start, { kind: 'awaiting', confirmationUrl: 'https://pay/1' }), {
      ...start,
      phase: 'awaiting',
      confirmationUrl: 'https://pay/1',
    });
    assert.equal(afterInvoice(start, { kind: 'completed' }).phase, 'completed');
    assert.deepEqual(afterInvoice(start, { kind: 'failed', reason: 'insufficient-balance' }), {
      ...start,
      phase: 'failed',
      failureReason: 'insufficient-balance',
    });
    assert.equal(afterInvoice(start, { kind: 'closed', status: 'cancelled' }).phase, 'cancelled');
  });

  it('keeps waiting on pending verdicts and ends on the others', () => {
    const awaiting = afterInvoice(start, { kind: 'awaiting', confirmationUrl: null });
    assert.equal(afterVerdict(awaiting, { status: 'pending', completedNow: false }), awaiting);
    assert.equal(afterVerdict(awaiting, { status: 'completed', completedNow: true }).phase, 'completed');
    assert.deepEqual(
      afterVerdict(awaiting, { status: 'failed', completedNow: false, failureReason: 'order-mismatch' }).failureReason,
      'order-mismatch',
    );
    assert.equal(afterVerdict(awaiting, { status: 'cancelled', completedNow: false }).phase, 'cancelled');
    assert.deepEqual(
      ['creating', 'awaiting', 'completed', 'failed', 'cancelled'].map((phase) => isFinalPhase(phase as never)),
      [false, false, true, true, true],
    );
  });

  it('takes the timeout from the input in minutes, 60 by default', () => {
    assert.equal(paymentTimeoutMs({ paymentId: 1 }), 3_600_000);
    assert.equal(paymentTimeoutMs({ paymentId: 1, timeoutMinutes: 0.05 }), 3_000);
  });
});
