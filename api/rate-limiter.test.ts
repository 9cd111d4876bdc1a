import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter } from './rate-limiter';

describe('createRateLimiter', () => {
  it('allows a burst, refuses beyond it, and refills over time per key', () => {
    let time = 0;
    const take = createRateLimiter({ capacity: 3, refillPerSecond: 1, now: () => time });
    assert.deepEqual([take('a'), take('a'), take('a'), take('a')], [true, true, true, false]);
    assert.equal(take('b'), true);
    time += 1_000;
    assert.deepEqual([take('a'), take('a')], [true, false]);
  });

  it('forgets the oldest keys beyond maxKeys', () => {
    const take = createRateLimiter({ capacity: 1, refillPerSecond: 0, maxKeys: 2, now: () => 0 });
    assert.equal(take('a'), true);
    assert.equal(take('a'), false);
    take('b');
    take('c');
    assert.equal(take('a'), true);
  });
});
