import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSendThrottle } from './send-throttle';

/** A fake clock: sleeping advances it. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('createSendThrottle', () => {
  it('lets a burst of 30 through at once, then 30 per second overall', async () => {
    const clock = fakeClock();
    const throttle = createSendThrottle({ ...clock, globalPerSecond: 30 });
    const times: number[] = [];
    for (let chat = 1; chat <= 90; chat += 1) {
      await throttle.take(chat);
      times.push(clock.now());
    }
    assert.equal(times.filter((t) => t === 0).length, 30, 'the bucket holds 30');
    assert.ok(Math.abs((times[89] ?? 0) - 2000) < 1, '60 more take two seconds');
    for (let i = 31; i < times.length; i += 1) assert.ok((times[i] ?? 0) - (times[i - 1] ?? 0) <= 34, 'evenly spread');
  });

  it('lets one chat have a short burst (a QR photo and its text), then one message per second; other chats go on', async () => {
    const clock = fakeClock();
    const throttle = createSendThrottle({ ...clock, perChatBurst: 2 });
    await throttle.take(7);
    await throttle.take(7);
    assert.equal(clock.now(), 0, 'photo and text together');
    await throttle.take(7);
    assert.equal(clock.now(), 1000);
    await throttle.take(8);
    assert.equal(clock.now(), 1000, 'another chat is not held back');
    await throttle.take(7);
    assert.equal(clock.now(), 2000);
    for (let i = 0; i < 5; i += 1) await throttle.take(7);
    assert.equal(clock.now(), 7000, 'sustained: one per second');
  });
});
