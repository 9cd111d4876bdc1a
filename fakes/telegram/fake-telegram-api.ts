/** The fake Telegram Bot API's public types: its options, recorded calls and test controls. */
import type { FakeMessage, FakeUserInput } from './create-chat-store';
import type { PayOptions, PayOutcome } from './create-stars-payments';
import type { FakeUpdate } from './create-update-queue';
import type { FakeBotState, FakeBotUser } from './fake-bot-state';
import type { RawParams } from './parse-request-body';

/** Options of {@link startFakeTelegram}. */
export interface FakeTelegramOptions {
  /** Bot token the fake accepts; others get 401. Default `123456:fake-test-token`. */
  token?: string;
  /** Listen address; default `127.0.0.1`. */
  host?: string;
  /** Listen port; default 0 (a free port). */
  port?: number;
  /** Time the bot has to answer a pre-checkout query, in ms; default 10 000 like Telegram. */
  preCheckoutDeadlineMs?: number;
  /**
   * The first `update_id`; default 1. Telegram's ids are unique per bot: give each fake of one
   * test its own range when a bot's update claims outlive the fake.
   */
  firstUpdateId?: number;
  /** Serve the browser chat simulator at `/`; default false. */
  chatSimulator?: boolean;
}

/** One Bot API call the bot made (every method except `getUpdates`). */
export interface RecordedCall {
  /** Order of arrival, from 1. */
  seq: number;
  method: string;
  /** The chat the call concerns, when it has one. */
  chatId: number | undefined;
  /** Parameters as sent; uploaded files appear as `{ byteLength, filename }`. */
  params: RawParams;
  ok: boolean;
  /** Telegram's error code when `ok` is false. */
  errorCode?: number;
  description?: string;
}

/** A running fake Telegram Bot API with its test controls. */
export interface FakeTelegram {
  /** `http://host:port`: pass as grammY's `client.apiRoot`. */
  apiRoot: string;
  token: string;
  botInfo: FakeBotUser;
  /**
   * A user sends a text message; `/commands` get `bot_command` entities. Returns the message.
   * `chatId` (negative: a group) sends it there instead of the private chat; `replyTo` makes it a
   * reply to that message of the chat.
   */
  userSends(user: FakeUserInput, text: string, options?: { chatId?: number; replyTo?: number }): FakeMessage;
  /**
   * A user presses an inline button. The query carries the message `messageId` (default: the
   * bot's latest message in that chat) when it exists. Returns the callback query id.
   */
  userPresses(user: FakeUserInput, callbackData: string, messageId?: number): string;
  /** A user pays the Stars invoice with `payload`; see {@link StarsPayments.userPays}. */
  userPays(user: FakeUserInput, payload: string, options?: PayOptions): Promise<PayOutcome>;
  /** Telegram renews a Star subscription (a recurring `successful_payment`). */
  renewSubscription(user: FakeUserInput, payload: string): FakeMessage;
  /** The user blocks (or unblocks) the bot: sends to them answer 403. */
  setBlocked(userId: number, blocked: boolean): void;
  /** Calls the bot made, oldest first, optionally only those concerning `chatId`. */
  sent(chatId?: number): RecordedCall[];
  /** Resolves with the first call (past or future) matching `predicate`; rejects after `timeoutMs` (default 5000). */
  waitFor(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** The next `count` (default 1) calls of `method` get 429 with `parameters.retry_after`. */
  injectRateLimit(method: string, retryAfterSec: number, count?: number): void;
  /**
   * The next `count` (default 1) calls of `method` fail with `errorCode` (e.g. 500) and
   * `description`, before the method runs (nothing changes): an outage of one Bot API method.
   */
  injectFailure(method: string, errorCode: number, description: string, count?: number): void;
  /**
   * Telegram delivers update `updateId` again (same `update_id`), as after a bot restart that never
   * confirmed it. A bot polling from offset 0 gets it.
   */
  redeliver(updateId: number): FakeUpdate;
  /** Every update ever queued, oldest first, confirmed or not. */
  updates(): FakeUpdate[];
  /** Updates queued and not yet confirmed by the bot. */
  pendingUpdates(): readonly FakeUpdate[];
  /** The internal state (chats, commands) for assertions the controls above do not cover. */
  state: FakeBotState;
  /** Ends a waiting long poll and pending checkouts, then stops the server. */
  close(): Promise<void>;
}
