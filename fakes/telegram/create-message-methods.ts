import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { BotApiError, badRequest } from './bot-api-error';
import type { ChatEntry, FakeMessage } from './create-chat-store';
import type { FakeBotState, MethodHandler } from './fake-bot-state';
import { boolParam, intParam, jsonParam, parseParams, replyMarkupParam, uploadParam } from './telegram-params';

const QUERY_TOO_OLD = 'query is too old and response timeout expired or query ID is invalid';
const CHAT_ACTIONS = [
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
] as const;

const sendMessageSchema = z.object({
  chat_id: intParam,
  text: z.string(),
  parse_mode: z.string().optional(),
  reply_markup: replyMarkupParam.optional(),
});
const sendPhotoSchema = z.object({
  chat_id: intParam,
  photo: z.union([uploadParam, z.string().min(1)]),
  caption: z.string().max(1024, 'message caption is too long').optional(),
  parse_mode: z.string().optional(),
  reply_markup: replyMarkupParam.optional(),
});
const messageRefSchema = z.object({ chat_id: intParam, message_id: intParam });
const editTextSchema = messageRefSchema.extend({
  text: z.string(),
  parse_mode: z.string().optional(),
  reply_markup: replyMarkupParam.optional(),
});
const editMarkupSchema = messageRefSchema.extend({ reply_markup: replyMarkupParam.optional() });
const commandsSchema = z.object({
  commands: jsonParam(
    z
      .array(z.object({ command: z.string().regex(/^[a-z0-9_]{1,32}$/, 'BOT_COMMAND_INVALID'), description: z.string().min(1).max(256) }))
      .max(100),
  ),
  language_code: z.string().optional(),
  scope: jsonParam(z.record(z.string(), z.unknown())).optional(),
});

/**
 * The fake's chat methods: getMe, webhooks, commands, sending, editing and deleting messages,
 * photos, chat actions and callback answers. Checks mirror the Telegram errors a bot is most
 * likely to trip over (empty or too long text, "message is not modified", unknown message ids,
 * stale callback queries, a user who blocked the bot).
 */
export function createMessageMethods(state: FakeBotState): Record<string, MethodHandler> {
  const { chats, queue } = state;

  const checkRecipient = (chatId: number) => {
    if (state.blockedBy.has(chatId)) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
  };
  const checkText = (text: string) => {
    if (text.trim().length === 0) throw badRequest('message text is empty');
    if (text.length > 4096) throw badRequest('message is too long');
  };
  const sendFromBot = (chatId: number, fields: Record<string, unknown>, extra?: Partial<ChatEntry>): FakeMessage =>
    chats.add(
      chatId,
      'bot',
      (messageId, date) => ({
        message_id: messageId,
        from: { id: state.botUser.id, is_bot: true, first_name: state.botUser.first_name, username: state.botUser.username },
        chat: chats.chat(chatId),
        date,
        ...fields,
      }),
      extra,
    ).message;
  const existing = (chatId: number, messageId: number, verb: 'edit' | 'delete'): ChatEntry => {
    const entry = chats.find(chatId, messageId);
    if (entry === undefined) throw badRequest(`message to ${verb} not found`);
    return entry;
  };
  const applyEdit = (entry: ChatEntry, changes: Record<string, unknown>): FakeMessage => {
    const next = { ...entry.message, ...changes };
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete next[key];
    if (isDeepStrictEqual(next, entry.message)) {
      throw badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    entry.message = { ...next, edit_date: Math.floor(Date.now() / 1000) };
    return entry.message;
  };

  return {
    getMe: () => state.botUser,
    logOut: () => true,
    close: () => true,
    deleteWebhook(params) {
      const { drop_pending_updates } = parseParams(z.object({ drop_pending_updates: boolParam.optional() }), params);
      queue.setWebhook(undefined);
      if (drop_pending_updates === true) queue.clear();
      return true;
    },
    setWebhook(params) {
      const { url, drop_pending_updates } = parseParams(z.object({ url: z.string(), drop_pending_updates: boolParam.optional() }), params);
      if (url !== '' && !url.startsWith('https://')) throw badRequest('bad webhook: An HTTPS URL must be provided for webhook');
      queue.setWebhook(url === '' ? undefined : url);
      if (drop_pending_updates === true) queue.clear();
      return true;
    },
    getWebhookInfo: () => ({ url: queue.webhookUrl() ?? '', has_custom_certificate: false, pending_update_count: queue.pending().length }),
    setMyCommands(params) {
      const { commands, language_code } = parseParams(commandsSchema, params);
      state.commands.set(language_code ?? '', commands);
      return true;
    },
    getMyCommands(params) {
      const { language_code } = parseParams(z.object({ language_code: z.string().optional() }), params);
      return state.commands.get(language_code ?? '') ?? [];
    },
    sendMessage(params) {
      const { chat_id, text, reply_markup } = parseParams(sendMessageSchema, params);
      checkRecipient(chat_id);
      checkText(text);
      return sendFromBot(chat_id, { text, ...(reply_markup === undefined ? {} : { reply_markup }) });
    },
    sendPhoto(params) {
      const { chat_id, photo, caption, reply_markup } = parseParams(sendPhotoSchema, params);
      checkRecipient(chat_id);
      const size = typeof photo === 'string' ? 0 : photo.data.length;
      const id = `fake-photo-${chat_id}-${chats.list(chat_id).length + 1}`;
      return sendFromBot(
        chat_id,
        {
          photo: [{ file_id: id, file_unique_id: id, width: 512, height: 512, file_size: size }],
          ...(caption === undefined ? {} : { caption }),
          ...(reply_markup === undefined ? {} : { reply_markup }),
        },
        typeof photo === 'string' ? {} : { photo: photo.data },
      );
    },
    editMessageText(params) {
      const { chat_id, message_id, text, reply_markup } = parseParams(editTextSchema, params);
      checkText(text);
      return applyEdit(existing(chat_id, message_id, 'edit'), { text, reply_markup });
    },
    editMessageReplyMarkup(params) {
      const { chat_id, message_id, reply_markup } = parseParams(editMarkupSchema, params);
      return applyEdit(existing(chat_id, message_id, 'edit'), { reply_markup });
    },
    deleteMessage(params) {
      const { chat_id, message_id } = parseParams(messageRefSchema, params);
      existing(chat_id, message_id, 'delete').deleted = true;
      return true;
    },
    sendChatAction(params) {
      const { chat_id } = parseParams(z.object({ chat_id: intParam, action: z.enum(CHAT_ACTIONS) }), params);
      checkRecipient(chat_id);
      return true;
    },
    answerCallbackQuery(params) {
      const { callback_query_id } = parseParams(
        z.object({
          callback_query_id: z.string(),
          text: z.string().max(200, 'MESSAGE_TOO_LONG').optional(),
          show_alert: boolParam.optional(),
          url: z.string().optional(),
          cache_time: intParam.optional(),
        }),
        params,
      );
      const query = state.callbackQueries.get(callback_query_id);
      if (query === undefined || query.answered) throw badRequest(QUERY_TOO_OLD);
      query.answered = true;
      return true;
    },
  };
}
