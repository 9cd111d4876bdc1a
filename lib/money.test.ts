import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CANONICAL_MONEY_PATTERN,
  applyDiscount,
  compareMoney,
  fitsMoneyColumn,
  formatMoney,
  normalizeMoney,
  parseMoney,
  parsePercent,
  percentOf,
  subtractMoney,
  sumMoney,
} from './money';

const kopecks = fc.bigInt({ min: -999_999_999_999n, max: 999_999_999_999n });
const price = fc.bigInt({ min: 0n, max: 999_999_999_999n });
const basisPoints = fc.integer({ min: 0, max: 10_000 });
const percentText = (bp: number) => `${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;

describe('parseMoney / formatMoney', () => {
  it('parses the seed plan prices exactly', () => {
    assert.equal(parseMoney('249.00'), 24_900n);
    assert.equal(parseMoney('599'), 59_900n);
    assert.equal(parseMoney('1049.5'), 104_950n);
    assert.equal(parseMoney('-0.05'), -5n);
    assert.equal(parseMoney('0.1'), 10n);
  });

  it('sums 0.10 + 0.20 to exactly 0.30 (where floats give 0.30000000000000004)', () => {
    assert.equal(formatMoney(sumMoney(parseMoney('0.10'), parseMoney('0.20'))), '0.30');
  });

  it('rejects text that is not plain decimal money instead of rounding it', () => {
    for (const bad of ['', '1.234', '1e3', ' 1.00', '1,00', '+1', '.5', '1.', 'NaN', '--1', '0x10']) {
      assert.throws(() => parseMoney(bad), RangeError, bad);
    }
  });

  it('formats with exactly two decimals', () => {
    assert.equal(formatMoney(0n), '0.00');
    assert.equal(formatMoney(5n), '0.05');
    assert.equal(formatMoney(-5n), '-0.05');
    assert.equal(formatMoney(24_900n), '249.00');
    assert.equal(formatMoney(999_999_999_999n), '9999999999.99');
    assert.equal(normalizeMoney('249'), '249.00');
  });

  it('round-trips every amount (property)', () => {
    fc.assert(
      fc.property(kopecks, (value) => {
        const text = formatMoney(value);
        assert.match(text, CANONICAL_MONEY_PATTERN);
        assert.equal(parseMoney(text), value);
      }),
    );
  });

  it('agrees with Postgres-style canonical text for any digits (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 99 }), (whole, cents) => {
        const text = `${whole}.${String(cents).padStart(2, '0')}`;
        assert.equal(formatMoney(parseMoney(text)), text);
      }),
    );
  });
});

describe('arithmetic', () => {
  it('adds and subtracts exactly (property: (a + b) - b = a, sum is order-independent)', () => {
    fc.assert(
      fc.property(kopecks, kopecks, kopecks, (a, b, c) => {
        assert.equal(subtractMoney(sumMoney(a, b), b), a);
        assert.equal(sumMoney(a, b, c), sumMoney(c, a, b));
      }),
    );
  });

  it('compares', () => {
    assert.equal(compareMoney(1n, 2n), -1);
    assert.equal(compareMoney(2n, 2n), 0);
    assert.equal(compareMoney(3n, 2n), 1);
    assert.equal(sumMoney(), 0n);
  });

  it('knows the NUMERIC(12,2) range', () => {
    assert.equal(fitsMoneyColumn(999_999_999_999n), true);
    assert.equal(fitsMoneyColumn(1_000_000_000_000n), false);
    assert.equal(fitsMoneyColumn(-999_999_999_999n), true);
  });
});

describe('percentages and discounts', () => {
  it('rounds half a kopeck away from zero by default, and as told otherwise', () => {
    // 10% of 0.05 = 0.005 RUB = half a kopeck.
    assert.equal(percentOf(5n, 10), 1n);
    assert.equal(percentOf(5n, 10, 'down'), 0n);
    assert.equal(percentOf(5n, 10, 'up'), 1n);
    assert.equal(percentOf(-5n, 10), -1n);
    // 10% of 0.04 = 0.4 kopeck.
    assert.equal(percentOf(4n, 10), 0n);
    assert.equal(percentOf(4n, 10, 'up'), 1n);
    assert.equal(percentOf(10_000n, '12.5'), 1_250n);
  });

  it('prices the seed plans with their discounts exactly', () => {
    // 20% off 249.00 * 3 = 747.00 -> 597.60; 45% off 249.00 * 12 = 2988.00 -> 1643.40
    assert.equal(formatMoney(applyDiscount(parseMoney('747.00'), 20)), '597.60');
    assert.equal(formatMoney(applyDiscount(parseMoney('2988.00'), 45)), '1643.40');
    assert.equal(formatMoney(applyDiscount(parseMoney('0.99'), '33.33')), '0.66');
  });

  it('rejects percentages that are not exact or out of range', () => {
    assert.throws(() => parsePercent(12.5), RangeError);
    assert.throws(() => parsePercent(-1), RangeError);
    assert.throws(() => parsePercent(101), RangeError);
    assert.throws(() => parsePercent('100.01'), RangeError);
    assert.throws(() => parsePercent('1.005'), RangeError);
    assert.equal(parsePercent('0.01'), 1n);
    assert.equal(parsePercent(100), 10_000n);
  });

  it('keeps discount + discounted price = price, within 0..price (property)', () => {
    fc.assert(
      fc.property(
        price,
        basisPoints,
        fc.constantFrom('half-up', 'down', 'up') as fc.Arbitrary<'half-up' | 'down' | 'up'>,
        (p, bp, rounding) => {
          const percent = percentText(bp);
          const discounted = applyDiscount(p, percent, rounding);
          const discount = percentOf(p, percent, rounding);
          assert.equal(discounted + discount, p);
          assert.ok(discounted >= 0n && discounted <= p);
        },
      ),
    );
  });

  it('is within half a kopeck of the exact rational result with half-up (property)', () => {
    fc.assert(
      fc.property(price, basisPoints, (p, bp) => {
        const rounded = percentOf(p, percentText(bp));
        // exact = p * bp / 10000; |rounded - exact| <= 1/2  <=>  |rounded * 20000 - 2 * p * bp| <= 10000
        const error = rounded * 20_000n - 2n * p * BigInt(bp);
        assert.ok(error <= 10_000n && error > -10_000n, `error ${error}`);
      }),
    );
  });

  it('is monotone: a bigger discount never gives a higher price (property)', () => {
    fc.assert(
      fc.property(price, basisPoints, basisPoints, (p, x, y) => {
        const [low, high] = x <= y ? [x, y] : [y, x];
        assert.ok(applyDiscount(p, percentText(high)) <= applyDiscount(p, percentText(low)));
      }),
    );
  });

  it('treats 0% and 100% as identity and free', () => {
    fc.assert(
      fc.property(price, (p) => {
        assert.equal(applyDiscount(p, 0), p);
        assert.equal(applyDiscount(p, 100), 0n);
      }),
    );
  });
});
