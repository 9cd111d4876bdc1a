import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideStarsCharge, type StarsChargeFacts, type StarsChargeOrder } from './decide-stars-charge';

const charge: StarsChargeFacts = {
  telegramPaymentChargeId: 'stx-1',
  telegramUserId: 1001,
  invoicePayload: 'order:7',
  currency: 'XTR',
  totalAmount: 139,
};
const order: StarsChargeOrder = {
  id: 7,
  status: 'pending',
  method: 'stars',
  currency: 'XTR',
  amountStars: 139,
  externalId: null,
  payerTelegramId: 1001,
  subscriptionStatus: 'pending',
};

describe('decideStarsCharge', () => {
  it('applies a matching charge to a pending, timed-out or failed order whose subscription can be served', () => {
    for (const status of ['pending', 'cancelled', 'failed'] as const) {
      for (const subscriptionStatus of ['pending', 'active', 'expired'] as const) {
        assert.deepEqual(
          decideStarsCharge(charge, { ...order, status, subscriptionStatus }),
          { action: 'apply', paymentId: 7 },
          `${status}/${subscriptionStatus}`,
        );
      }
    }
  });

  it('recognises the charge that already completed the order', () => {
    assert.deepEqual(decideStarsCharge(charge, { ...order, status: 'completed', externalId: 'stx-1' }), {
      action: 'already-applied',
      paymentId: 7,
    });
    assert.deepEqual(decideStarsCharge(charge, { ...order, status: 'refunded', externalId: 'stx-1' }), {
      action: 'already-applied',
      paymentId: 7,
    });
  });

  it('refunds a second charge, never the applied one', () => {
    assert.deepEqual(
      decideStarsCharge({ ...charge, telegramPaymentChargeId: 'stx-2' }, { ...order, status: 'completed', externalId: 'stx-1' }),
      {
        action: 'refund',
        reason: 'second-charge',
        paymentId: 7,
      },
    );
    assert.notEqual(decideStarsCharge(charge, { ...order, status: 'completed', externalId: 'stx-1' }).action, 'refund');
    assert.notEqual(
      decideStarsCharge({ ...charge, refundedAtTelegram: true }, { ...order, status: 'completed', externalId: 'stx-1' }).action,
      'refund',
    );
  });

  it('applies an order that buys no subscription (a balance top-up or a gift)', () => {
    assert.deepEqual(decideStarsCharge(charge, { ...order, subscriptionStatus: null, standalone: true }), {
      action: 'apply',
      paymentId: order.id,
    });
  });

  it('refunds with a reason whatever cannot be served', () => {
    const cases: Array<[Partial<StarsChargeFacts>, StarsChargeOrder | null, string]> = [
      [{ invoicePayload: 'not-ours' }, order, 'unknown-order'],
      [{}, null, 'unknown-order'],
      [{}, { ...order, id: 8 }, 'unknown-order'],
      [{}, { ...order, method: 'card' }, 'unknown-order'],
      [{}, { ...order, status: 'refunded' }, 'order-closed'],
      [{}, { ...order, subscriptionStatus: 'cancelled' }, 'order-closed'],
      [{}, { ...order, subscriptionStatus: null }, 'order-closed'],
      [{ totalAmount: 138 }, order, 'amount-mismatch'],
      [{ currency: 'USD' }, order, 'amount-mismatch'],
      [{}, { ...order, amountStars: null }, 'amount-mismatch'],
      [{ telegramUserId: 2002 }, order, 'wrong-payer'],
      [{ refundedAtTelegram: true }, order, 'refunded-at-telegram'],
    ];
    for (const [change, candidate, reason] of cases) {
      const decision = decideStarsCharge({ ...charge, ...change }, candidate);
      assert.equal(decision.action, 'refund', reason);
      assert.equal(decision.action === 'refund' ? decision.reason : undefined, reason);
    }
  });
});
