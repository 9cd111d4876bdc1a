import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSettledEventCache } from './settled-event-cache';

describe('settled event cache', () => {
  it('remembers (provider, event key) pairs, each provider apart', () => {
    const cache = createSettledEventCache();
    assert.equal(cache.has('sandbox', 'inv-1:payment.succeeded'), false);
    cache.add('sandbox', 'inv-1:payment.succeeded');
    cache.add('sandbox', 'inv-1:payment.succeeded');
    assert.equal(cache.has('sandbox', 'inv-1:payment.succeeded'), true);
    assert.equal(cache.has('yookassa', 'inv-1:payment.succeeded'), false);
    assert.equal(cache.size, 1);
  });

  it('forgets the oldest key past its bound', () => {
    const cache = createSettledEventCache(3);
    for (const key of ['a', 'b', 'c', 'd']) cache.add('cryptopay', key);
    assert.equal(cache.size, 3);
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((key) => cache.has('cryptopay', key)),
      [false, true, true, true],
    );
  });
});
