import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertIdempotencyKey, parseOrderIdText, parseProviderAmount, positiveAmountText, truncateText } from './provider-values';

describe('provider values', () => {
  it('accepts idempotency keys of 1..64 printable ASCII characters only', () => {
    assertIdempotencyKey('order-42-attempt-1');
    assertIdempotencyKey('k'.repeat(64));
    for (const bad of ['', 'k'.repeat(65), 'has space', 'ключ', 'tab\t']) assert.throws(() => assertIdempotencyKey(bad), RangeError, bad);
  });

  it('prints positive amounts with two decimals and refuses the rest', () => {
    assert.equal(positiveAmountText(29_900n), '299.00');
    assert.equal(positiveAmountText(1n), '0.01');
    assert.throws(() => positiveAmountText(0n), RangeError);
    assert.throws(() => positiveAmountText(-100n), RangeError);
  });

  it('parses provider amounts exactly, with trailing zero decimals but no fractional kopecks', () => {
    assert.equal(parseProviderAmount('299'), 29_900n);
    assert.equal(parseProviderAmount('299.5'), 29_950n);
    assert.equal(parseProviderAmount('299.50000000'), 29_950n);
    for (const bad of ['299.501', '-1', '1e3', ' 1', '1,5', '']) assert.throws(() => parseProviderAmount(bad), RangeError, bad);
  });

  it('reads order ids back only when they are positive safe integers', () => {
    assert.equal(parseOrderIdText('42'), 42);
    for (const bad of [undefined, null, '', '0', '042', '-1', '1.0', '9007199254740993', ' 42'])
      assert.equal(parseOrderIdText(bad), null, String(bad));
  });

  it('truncates without splitting surrogate pairs', () => {
    assert.equal(truncateText('abc', 5), 'abc');
    assert.equal(truncateText('ab😀c', 3), 'ab');
    assert.equal(truncateText('ab😀c', 4), 'ab😀');
  });
});
