import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import type { Transformer } from 'grammy';

/**
 * Telegram's limit the bot itself must respect: about 20 messages per minute in one group (the
 * support chat). Everything else the bot sends answers a user who just wrote: their updates run
 * one at a time (`sequentialize`), so a chat's answers are already in order and paced by the
 * user, and a 429 Telegram still sends is waited out by auto-retry. Bulk sending (broadcasts,
 * reminders) is the worker's, with its own throttle (activities/send-throttle.ts).
 */
export const GROUP_THROTTLE: APIThrottlerOptions = {
  // The throttler's group stage is its default (one call at a time, a second apart, 20 a minute);
  // its global stage is only a bound on calls in flight (its default 30/s bucket is for broadcasts).
  global: { maxConcurrent: 100 },
};

/** A group or supergroup: a negative chat id (how the throttler itself tells them apart). */
export function isGroupChat(payload: unknown): boolean {
  const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
  return chatId !== undefined && Number(chatId) < 0;
}

/**
 * The throttler for calls to groups only; calls to private chats and chat-less calls
 * (answerCallbackQuery, getMe) go straight through. The throttler kept a Bottleneck limiter per
 * private chat and ran every answer through two of them: 8.5 % of the bot's time at 200 updates/s
 * (bench bot profile), for no limit Telegram sets on answers.
 */
export function groupThrottler(options: APIThrottlerOptions = GROUP_THROTTLE): Transformer {
  const throttled = apiThrottler(options);
  return (prev, method, payload, signal) =>
    isGroupChat(payload) ? throttled(prev, method, payload, signal) : prev(method, payload, signal);
}
