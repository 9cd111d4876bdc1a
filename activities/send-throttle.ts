/**
 * Keeps the worker's sends within Telegram's broadcast limits: a token bucket for all chats
 * (about 30 messages per second) and a minimum interval per chat (about one message per second),
 * so a burst (a failover re-sending many QR photos) is spread out instead of answered with 429s.
 * One throttle per worker process (the sender holds it); clock and sleep are injectable for tests.
 */

/** Options of {@link createSendThrottle}. */
export interface SendThrottleOptions {
  /** Messages per second over all chats (the bucket's refill rate and size); default 30. */
  globalPerSecond?: number;
  /** Least time between two messages to one chat, in milliseconds; default 1000. */
  perChatIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Waits for a send slot. */
export interface SendThrottle {
  /** Resolves when a message to `chatId` may go; slots are handed out in call order per chat. */
  take(chatId: number): Promise<void>;
}

/** How many per-chat entries are kept before old ones are swept. */
const CHAT_MEMORY = 10_000;

/** Builds the throttle. */
export function createSendThrottle(options: SendThrottleOptions = {}): SendThrottle {
  const rate = options.globalPerSecond ?? 30;
  const interval = options.perChatIntervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /** When the global bucket next has a token: slots are reserved ahead, one per 1000/rate ms beyond the burst. */
  let tokens = rate;
  let refilledAt = now();
  const nextForChat = new Map<number, number>();

  /** Reserves the earliest global slot at or after `earliest`; returns its time. */
  function reserveGlobal(earliest: number): number {
    const current = now();
    tokens = Math.min(rate, tokens + ((current - refilledAt) * rate) / 1000);
    refilledAt = current;
    tokens -= 1;
    const globalAt = tokens >= 0 ? current : current + (-tokens * 1000) / rate;
    return Math.max(globalAt, earliest);
  }

  return {
    async take(chatId) {
      const current = now();
      const chatAt = Math.max(current, nextForChat.get(chatId) ?? 0);
      const at = reserveGlobal(chatAt);
      nextForChat.set(chatId, at + interval);
      if (nextForChat.size > CHAT_MEMORY) {
        for (const [chat, next] of nextForChat) if (next <= current) nextForChat.delete(chat);
      }
      if (at > current) await sleep(at - current);
    },
  };
}
