import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupThrottler, isGroupChat } from './group-throttle';

describe('groupThrottler', () => {
  it('tells groups (negative ids) from private chats and chat-less calls', () => {
    assert.equal(isGroupChat({ chat_id: -1001234567890 }), true);
    assert.equal(isGroupChat({ chat_id: '-100123' }), true);
    assert.equal(isGroupChat({ chat_id: 42 }), false);
    assert.equal(isGroupChat({ callback_query_id: 'x' }), false);
    assert.equal(isGroupChat(undefined), false);
  });

  it('sends to private chats at once, and to a group one call at a time', async () => {
    const started: unknown[] = [];
    const release: Array<() => void> = [];
    const prev = (_method: string, payload: unknown) => {
      started.push((payload as { chat_id: unknown }).chat_id);
      return new Promise<{ ok: true; result: true }>((resolve) => release.push(() => resolve({ ok: true, result: true })));
    };
    // Were private chats throttled, `out` would let one call through at a time.
    const transformer = groupThrottler({ global: { maxConcurrent: 100 }, group: { maxConcurrent: 1 }, out: { maxConcurrent: 1 } });
    const call = (chatId: number) => transformer(prev as any, 'sendMessage', { chat_id: chatId, text: 'x' } as any);
    const calls = [call(-5), call(-5), call(-5), ...Array.from({ length: 20 }, () => call(7))];
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(started.filter((chat) => chat === 7).length, 20, 'every private answer in flight at once');
    assert.equal(started.filter((chat) => chat === -5).length, 1, 'one group call in flight');
    while (started.length < calls.length || release.length > 0) {
      release.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(calls);
    assert.equal(started.filter((chat) => chat === -5).length, 3);
  });
});
