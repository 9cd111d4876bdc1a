import { createChatStore, type ChatStore } from './create-chat-store';
import { createUpdateQueue, type UpdateQueue } from './create-update-queue';
import type { RawParams } from './parse-request-body';

/** The bot's own `User` object, as `getMe` returns it. */
export interface FakeBotUser {
  id: number;
  is_bot: true;
  first_name: string;
  username: string;
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
  can_connect_to_business: boolean;
  has_main_web_app: boolean;
}

/** Everything the fake's Bot API methods share. */
export interface FakeBotState {
  botUser: FakeBotUser;
  chats: ChatStore;
  queue: UpdateQueue;
  /** Callback queries sent to the bot, by id: the chat of the pressed message and whether answered. */
  callbackQueries: Map<string, { chatId: number | undefined; answered: boolean }>;
  /** `setMyCommands` lists by `language_code` (`''` for the default list). */
  commands: Map<string, unknown[]>;
  /** Users who blocked the bot: sending to them answers 403. */
  blockedBy: Set<number>;
}

/**
 * One Bot API method: raw parameters in, `result` (or a promise of it) out; throws BotApiError
 * to fail. `signal` aborts when the client disconnects (long polling uses it).
 */
export type MethodHandler = (params: RawParams, signal: AbortSignal) => unknown;

/**
 * Creates the shared state of a fake bot. The bot id is the numeric part of the token
 * (`123456:abc` → 123456), as in real tokens.
 */
export function createFakeBotState(token: string, firstUpdateId = 1): FakeBotState {
  const id = Number.parseInt(token.split(':')[0] ?? '', 10);
  return {
    botUser: {
      id: Number.isSafeInteger(id) ? id : 1,
      is_bot: true,
      first_name: 'Fake VPN Bot',
      username: 'fake_vpn_bot',
      can_join_groups: false,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    },
    chats: createChatStore(),
    queue: createUpdateQueue(firstUpdateId),
    callbackQueries: new Map(),
    commands: new Map(),
    blockedBy: new Set(),
  };
}
