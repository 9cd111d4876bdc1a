import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkPreCheckout, type PreCheckoutQueryLike, type StarsOrder } from './check-pre-checkout';
import { rubToStars, starsOfAmountText } from './rub-to-stars';
import { parseStarsPayload, starsInvoicePayload } from './stars-payload';

describe('Stars payload', () => {
  it('round-trips order ids and refuses anything else', () => {
    assert.equal(starsInvoicePayload(42), 'order:42');
    assert.equal(parseStarsPayload('order:42'), 42);
    for (const bad of [
      'order:0',
      'order:-1',
      'order:01',
      'order:1.5',
      'order:',
      'Order:1',
      'order:1 ',
      'sub:1',
      'order:12345678901234567',
      'order:9007199254740993',
    ]) {
      assert.equal(parseStarsPayload(bad), null, bad);
    }
    assert.throws(() => starsInvoicePayload(0), RangeError);
    assert.throws(() => starsInvoicePayload(1.5), RangeError);
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (id) => parseStarsPayload(starsInvoicePayload(id)) === id));
  });
});

describe('rubToStars', () => {
  it('rounds up by default, down or half-up on request, and never below 1 Star', () => {
    assert.equal(rubToStars(29_900n, 180), 167);
    assert.equal(rubToStars(29_900n, 180, 'down'), 166);
    assert.equal(rubToStars(29_900n, 180, 'half-up'), 166);
    assert.equal(rubToStars(18_090n, 180, 'half-up'), 101);
    assert.equal(rubToStars(18_000n, 180n), 100);
    assert.equal(rubToStars(1n, 180, 'down'), 1);
    for (const bad of [() => rubToStars(0n, 180), () => rubToStars(100n, 0), () => rubToStars(100n, 1.8), () => rubToStars(100n, -5n)]) {
      assert.throws(bad, RangeError);
    }
  });

  it('up never sells below the ruble price and down never above it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 10n }), fc.integer({ min: 1, max: 100_000 }), (kopecks, rate) => {
        const up = BigInt(rubToStars(kopecks, rate, 'up'));
        const down = BigInt(rubToStars(kopecks, rate, 'down'));
        return up * BigInt(rate) >= kopecks && (down === 1n || down * BigInt(rate) <= kopecks) && up - down <= 1n;
      }),
    );
  });

  it('reads whole Stars from money text', () => {
    assert.equal(starsOfAmountText('150.00'), 150);
    assert.equal(starsOfAmountText('150'), 150);
    assert.throws(() => starsOfAmountText('150.50'), RangeError);
  });
});

describe('checkPreCheckout', () => {
  const order: StarsOrder = { id: 7, status: 'pending', currency: 'XTR', amountStars: 150, payerTelegramId: 1001 };
  const query: PreCheckoutQueryLike = { from: { id: 1001 }, currency: 'XTR', total_amount: 150, invoice_payload: 'order:7' };

  it('accepts the matching pending order', () => {
    assert.deepEqual(checkPreCheckout(order, query), { ok: true, orderId: 7 });
    const { payerTelegramId: _ignored, ...anyPayer } = order;
    assert.deepEqual(checkPreCheckout(anyPayer, { ...query, from: { id: 5 } }), { ok: true, orderId: 7 });
  });

  it('refuses with a reason for every mismatch', () => {
    const cases: Array<[StarsOrder | null, Partial<PreCheckoutQueryLike>, string]> = [
      [order, { invoice_payload: 'something-else' }, 'unknown-payload'],
      [null, {}, 'order-not-found'],
      [{ ...order, id: 8 }, {}, 'order-not-found'],
      [{ ...order, status: 'completed' }, {}, 'already-paid'],
      [{ ...order, status: 'refunded' }, {}, 'already-paid'],
      [{ ...order, status: 'cancelled' }, {}, 'not-payable'],
      [{ ...order, status: 'failed' }, {}, 'not-payable'],
      [order, { currency: 'RUB' }, 'wrong-currency'],
      [{ ...order, currency: 'RUB' }, {}, 'wrong-currency'],
      [order, { total_amount: 149 }, 'wrong-amount'],
      [order, { total_amount: 1500 }, 'wrong-amount'],
      [order, { from: { id: 2002 } }, 'wrong-payer'],
    ];
    for (const [candidate, change, reason] of cases) {
      assert.deepEqual(checkPreCheckout(candidate, { ...query, ...change }), { ok: false, reason }, reason);
    }
  });
});
