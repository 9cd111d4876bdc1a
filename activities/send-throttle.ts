/**
 * Keeps the worker's sends within Telegram's broadcast limits: a token bucket for all chats
 * (about 30 messages per second) and one per chat (about one message per second, with a small
 * burst so a key's QR photo and its text go together), so a burst (a failover re-sending many QR
 * photos) is spread out instead of answered with 429s. One throttle per worker process (the
 * sender holds it); clock and sleep are injectable for tests.
 */

/** Options of {@link createSendThrottle}. */
export interface SendThrottleOptions {
  /** Messages per second over all chats (the bucket's refill rate and size); default 30. */
  globalPerSecond?: number;
  /** Sustained least time between two messages to one chat, in milliseconds; default 1000. */
  perChatIntervalMs?: number;
  /** Messages one chat may get at once before the interval applies; default 3. */
  perChatBurst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Waits for a send slot. */
export interface SendThrottle {
  /** Resolves when a message to `chatId` may go; slots are handed out in call order. */
  take(chatId: number): Promise<void>;
}

/** How many per-chat entries are kept before idle ones are swept. */
const CHAT_MEMORY = 10_000;

/**
 * A bucket as "the time at which it is full again": taking a slot at `at` pushes it one interval
 * later; a slot is free when that time is within `burst` intervals of `at`.
 */
function reserve(fullAt: number, earliest: number, intervalMs: number, burst: number): { at: number; fullAt: number } {
  const free = fullAt - (burst - 1) * intervalMs;
  // Sub-microsecond differences are rounding of repeated fractional intervals, not waits.
  const at = free - earliest < 1e-3 ? earliest : free;
  return { at, fullAt: Math.max(fullAt, at) + intervalMs };
}

/** Builds the throttle. */
export function createSendThrottle(options: SendThrottleOptions = {}): SendThrottle {
  const globalInterval = 1000 / (options.globalPerSecond ?? 30);
  const globalBurst = options.globalPerSecond ?? 30;
  const chatInterval = options.perChatIntervalMs ?? 1000;
  const chatBurst = options.perChatBurst ?? 3;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let globalFullAt = 0;
  const chatFullAt = new Map<number, number>();

  return {
    async take(chatId) {
      const current = now();
      // The chat's slot first, then the first global slot at or after it (both reserved now, in call order).
      const chat = reserve(chatFullAt.get(chatId) ?? 0, current, chatInterval, chatBurst);
      const global = reserve(globalFullAt, chat.at, globalInterval, globalBurst);
      globalFullAt = global.fullAt;
      chatFullAt.set(chatId, Math.max(chat.fullAt, global.at + chatInterval));
      if (chatFullAt.size > CHAT_MEMORY) {
        for (const [chat, fullAt] of chatFullAt) if (fullAt <= current) chatFullAt.delete(chat);
      }
      if (global.at > current) await sleep(global.at - current);
    },
  };
}
