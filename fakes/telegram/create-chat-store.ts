/** A Telegram user as test code describes one; a bare number is shorthand for `{ id }`. */
export type FakeUserInput = number | { id: number; first_name?: string; username?: string; language_code?: string };

/** A Telegram `User` object for a human. */
export interface FakeUser {
  id: number;
  is_bot: false;
  first_name: string;
  username?: string;
  language_code?: string;
}

/** A Telegram `Message` object as the fake builds it (only the fields it uses are typed). */
export type FakeMessage = {
  message_id: number;
  date: number;
  chat: { id: number; type: 'private' | 'supergroup'; first_name?: string; username?: string; title?: string };
  from?: FakeUser | { id: number; is_bot: true; first_name: string; username: string };
  text?: string;
  caption?: string;
  reply_markup?: unknown;
} & Record<string, unknown>;

/** One message of a private chat, with what the simulator page needs to show it. */
export interface ChatEntry {
  from: 'user' | 'bot';
  message: FakeMessage;
  /** Bytes of an uploaded photo. */
  photo?: Buffer;
  /** `payload` of an invoice message (Telegram's `Invoice` object does not carry it). */
  invoicePayload?: string;
  deleted: boolean;
}

/** Users and the private chats between them and the bot. */
export interface ChatStore {
  /** Resolves shorthand to a full user, remembering details given earlier for the same id. */
  user(input: FakeUserInput): FakeUser;
  /** Appends a message; `build` receives the chat's next message id and the current unix time. */
  add(chatId: number, from: 'user' | 'bot', build: (messageId: number, date: number) => FakeMessage, extra?: Partial<ChatEntry>): ChatEntry;
  /** A message that exists and was not deleted, if any. */
  find(chatId: number, messageId: number): ChatEntry | undefined;
  /** Every entry of one chat in order, deleted ones included. */
  list(chatId: number): readonly ChatEntry[];
  /** The chat object Telegram puts in messages of the chat: private for a user's id, a supergroup for a negative id. */
  chat(chatId: number): FakeMessage['chat'];
}

/** Creates an empty {@link ChatStore}. */
export function createChatStore(): ChatStore {
  const users = new Map<number, FakeUser>();
  const chats = new Map<number, ChatEntry[]>();

  const user = (input: FakeUserInput): FakeUser => {
    const given = typeof input === 'number' ? { id: input } : input;
    const known = users.get(given.id);
    const merged: FakeUser = {
      id: given.id,
      is_bot: false,
      first_name: given.first_name ?? known?.first_name ?? `User ${given.id}`,
      ...((given.username ?? known?.username) === undefined ? {} : { username: given.username ?? known?.username }),
      ...((given.language_code ?? known?.language_code) === undefined
        ? {}
        : { language_code: given.language_code ?? known?.language_code }),
    };
    users.set(given.id, merged);
    return merged;
  };
  const entries = (chatId: number): ChatEntry[] => {
    let list = chats.get(chatId);
    if (list === undefined) chats.set(chatId, (list = []));
    return list;
  };

  return {
    user,
    add(chatId, from, build, extra = {}) {
      const list = entries(chatId);
      const entry: ChatEntry = { ...extra, from, message: build(list.length + 1, Math.floor(Date.now() / 1000)), deleted: false };
      list.push(entry);
      return entry;
    },
    find(chatId, messageId) {
      const entry = chats.get(chatId)?.[messageId - 1];
      return entry === undefined || entry.deleted ? undefined : entry;
    },
    list: (chatId) => chats.get(chatId) ?? [],
    chat(chatId) {
      if (chatId < 0) return { id: chatId, type: 'supergroup', title: `Group ${-chatId}` };
      const known = users.get(chatId);
      return {
        id: chatId,
        type: 'private',
        ...(known === undefined ? {} : { first_name: known.first_name }),
        ...(known?.username === undefined ? {} : { username: known.username }),
      };
    },
  };
}
