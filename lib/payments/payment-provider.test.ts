import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesOrder, type PaymentSnapshot } from './payment-provider';

describe('matchesOrder', () => {
  const confirmed: PaymentSnapshot = { externalId: 'p1', status: 'succeeded', amountKopecks: 29_900n, currency: 'RUB', orderId: 42 };
  const order = { id: 42, amountKopecks: 29_900n, currency: 'RUB' };

  it('accepts the same order id, exact amount and currency (case-insensitively)', () => {
    assert.deepEqual(matchesOrder(order, confirmed), { ok: true });
    assert.deepEqual(matchesOrder({ ...order, currency: 'rub' }, confirmed), { ok: true });
  });

  it('lists every mismatch, including a missing order id and a one-kopeck difference', () => {
    assert.deepEqual(matchesOrder(order, { ...confirmed, amountKopecks: 29_899n }), { ok: false, mismatches: ['amount'] });
    assert.deepEqual(matchesOrder(order, { ...confirmed, orderId: null }), { ok: false, mismatches: ['order-id'] });
    assert.deepEqual(matchesOrder(order, { ...confirmed, orderId: 43, amountKopecks: 100n, currency: 'USD' }), {
      ok: false,
      mismatches: ['order-id', 'amount', 'currency'],
    });
  });

  it('does not judge status: a canceled payment of the right order still matches', () => {
    assert.deepEqual(matchesOrder(order, { ...confirmed, status: 'canceled' }), { ok: true });
  });
});
