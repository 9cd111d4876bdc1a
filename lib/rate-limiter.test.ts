import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter } from './rate-limiter';

function fakeClock() {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('createRateLimiter', () => {
  it('spaces slots evenly: 25 per second means 40 ms apart, never a burst', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(25, clock);
    const start = clock.now();
    const times: number[] = [];
    for (let i = 0; i < 50; i += 1) {
      await limiter.take();
      times.push(clock.now() - start);
    }
    assert.deepEqual(times.slice(0, 4), [0, 40, 80, 120]);
    assert.equal(times.at(-1), 49 * 40, '50 sends take 1.96 s');
  });

  it('a pause (429 retry_after) holds every later slot until it is over', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(10, clock);
    const start = clock.now();
    await limiter.take();
    limiter.pauseFor(3_000);
    await limiter.take();
    assert.equal(clock.now() - start, 3_000);
    await limiter.take();
    assert.equal(clock.now() - start, 3_100);
  });

  it('refuses a rate that is not positive', () => {
    assert.throws(() => createRateLimiter(0), RangeError);
  });
});
