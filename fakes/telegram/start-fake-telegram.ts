import fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BotApiError, badRequest } from './bot-api-error';
import type { FakeMessage, FakeUserInput } from './create-chat-store';
import { createMessageMethods } from './create-message-methods';
import { createStarsPayments, type PayOptions, type PayOutcome } from './create-stars-payments';
import type { FakeUpdate } from './create-update-queue';
import { createFakeBotState, type FakeBotState, type FakeBotUser } from './fake-bot-state';
import { isUploadedFile, parseRequestBody, type RawParams } from './parse-request-body';
import { intParam, jsonParam, parseParams } from './telegram-params';
import { registerChatSimulator } from './register-chat-simulator';

import type { FakeTelegram, FakeTelegramOptions, RecordedCall } from './fake-telegram-api';

export type { FakeTelegram, FakeTelegramOptions, RecordedCall } from './fake-telegram-api';

const CHAT_OF = z.object({ chat_id: intParam.optional(), user_id: intParam.optional() });
const URL_PATTERN = /^\/bot([^/]+)\/([A-Za-z]+)\/?$/;

/**
 * Starts a fake Telegram Bot API over HTTP: `GET|POST /bot<token>/<method>` with JSON, form or
 * multipart bodies, answering in Telegram's envelope. It keeps private chats, long-polls
 * `getUpdates`, and emulates Telegram Stars payments. See {@link FakeTelegram} for the controls.
 */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456:fake-test-token';
  const state = createFakeBotState(token, options.firstUpdateId);
  const stars = createStarsPayments(state, options.preCheckoutDeadlineMs ?? 10_000);
  const methods = new Map(
    Object.entries({
      ...createMessageMethods(state),
      ...stars.methods,
      getUpdates: (params: RawParams, signal: AbortSignal) => state.queue.getUpdates(parseParams(getUpdatesSchema, params), signal),
    }).map(([name, handler]) => [name.toLowerCase(), { name, handler }]),
  );
  const calls: RecordedCall[] = [];
  const watchers = new Set<(call: RecordedCall) => void>();
  const rateLimits = new Map<string, { retryAfter: number; remaining: number }>();
  const failures = new Map<string, { errorCode: number; description: string; remaining: number }>();
  let callbackSeq = 0;

  const record = (call: Omit<RecordedCall, 'seq'>) => {
    const full = { ...call, seq: calls.length + 1 };
    calls.push(full);
    for (const watcher of [...watchers]) watcher(full);
  };

  const app = fastify({ logger: false, bodyLimit: 50 * 1024 * 1024, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const match = URL_PATTERN.exec(request.url.split('?')[0] ?? '');
    if (match === null) return reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== token) return reply.code(401).send({ ok: false, error_code: 401, description: 'Unauthorized' });
    const method = methods.get((match[2] ?? '').toLowerCase());
    if (method === undefined) return reply.code(404).send({ ok: false, error_code: 404, description: 'Not Found: method not found' });
    let params: RawParams = {};
    let chatId: number | undefined;
    try {
      const query = Object.fromEntries(new URLSearchParams(request.url.split('?')[1] ?? ''));
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        params = { ...query, ...parseRequestBody(request.headers['content-type'], body) };
      } catch (error) {
        throw badRequest(`can't parse request body: ${(error as Error).message}`);
      }
      chatId = chatOf(state, params);
      const limit = rateLimits.get(method.name.toLowerCase());
      if (limit !== undefined && limit.remaining > 0) {
        if (--limit.remaining === 0) rateLimits.delete(method.name.toLowerCase());
        throw new BotApiError(429, `Too Many Requests: retry after ${limit.retryAfter}`, { retry_after: limit.retryAfter });
      }
      const failure = failures.get(method.name.toLowerCase());
      if (failure !== undefined && failure.remaining > 0) {
        if (--failure.remaining === 0) failures.delete(method.name.toLowerCase());
        throw new BotApiError(failure.errorCode, failure.description);
      }
      const disconnected = new AbortController();
      reply.raw.once('close', () => disconnected.abort());
      const result: unknown = await method.handler(params, disconnected.signal);
      if (method.name !== 'getUpdates') record({ method: method.name, chatId, params: describeParams(params), ok: true });
      return reply.send({ ok: true, result });
    } catch (error) {
      const failure = error instanceof BotApiError ? error : new BotApiError(500, `Internal Server Error: ${String(error)}`);
      if (method.name !== 'getUpdates') {
        record({
          method: method.name,
          chatId,
          params: describeParams(params),
          ok: false,
          errorCode: failure.errorCode,
          description: failure.message,
        });
      }
      return reply.code(failure.errorCode).send(failure.toEnvelope());
    }
  };
  app.route({ method: ['GET', 'POST'], url: '/bot*', handler: handle });

  const fake: FakeTelegram = {
    apiRoot: '',
    token,
    botInfo: state.botUser,
    state,
    userSends(input, text, sendOptions = {}) {
      const user = state.chats.user(input);
      const chatId = sendOptions.chatId ?? user.id;
      const replied = sendOptions.replyTo === undefined ? undefined : state.chats.find(chatId, sendOptions.replyTo)?.message;
      const entities = [...text.matchAll(/(?<=^|\s)\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]+)?/g)].map((found) => ({
        type: 'bot_command',
        offset: found.index,
        length: found[0].length,
      }));
      const message = state.chats.add(chatId, 'user', (messageId, date) => ({
        message_id: messageId,
        from: user,
        chat: state.chats.chat(chatId),
        date,
        text,
        ...(entities.length === 0 ? {} : { entities }),
        ...(replied === undefined ? {} : { reply_to_message: replied }),
      })).message;
      state.queue.push({ message });
      return message;
    },
    userPresses(input, callbackData, messageId) {
      const user = state.chats.user(input);
      const botMessages = state.chats.list(user.id).filter((entry) => entry.from === 'bot' && !entry.deleted);
      const pressed = messageId === undefined ? botMessages.at(-1) : botMessages.find((entry) => entry.message.message_id === messageId);
      const id = `fake-cbq-${++callbackSeq}`;
      state.callbackQueries.set(id, { chatId: user.id, answered: false });
      state.queue.push({
        callback_query: {
          id,
          from: user,
          chat_instance: `fake-chat-instance-${user.id}`,
          data: callbackData,
          ...(pressed === undefined ? {} : { message: pressed.message }),
        },
      });
      return id;
    },
    userPays: (user, payload, payOptions) => stars.userPays(user, payload, payOptions),
    renewSubscription: (user, payload) => stars.renewSubscription(user, payload),
    setBlocked(userId, blocked) {
      if (blocked) state.blockedBy.add(userId);
      else state.blockedBy.delete(userId);
    },
    sent: (chatId) => calls.filter((call) => chatId === undefined || call.chatId === chatId),
    waitFor(predicate, timeoutMs = 5000) {
      const found = calls.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const watcher = (call: RecordedCall) => {
          if (!predicate(call)) return;
          clearTimeout(timer);
          watchers.delete(watcher);
          resolve(call);
        };
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          const seen = calls.map((call) => `${call.method}${call.ok ? '' : `(${call.errorCode})`}`).join(', ');
          reject(new Error(`waitFor: no matching bot call within ${timeoutMs} ms; calls so far: ${seen || 'none'}`));
        }, timeoutMs);
        watchers.add(watcher);
      });
    },
    injectRateLimit(method, retryAfterSec, count = 1) {
      rateLimits.set(method.toLowerCase(), { retryAfter: retryAfterSec, remaining: count });
    },
    injectFailure(method, errorCode, description, count = 1) {
      failures.set(method.toLowerCase(), { errorCode, description, remaining: count });
    },
    redeliver: (updateId) => state.queue.redeliver(updateId),
    updates: () => state.queue.history(),
    pendingUpdates: () => state.queue.pending(),
    async close() {
      stars.close();
      state.queue.releaseWaiter();
      await app.close();
    },
  };
  if (options.chatSimulator === true) registerChatSimulator(app, fake);
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  fake.apiRoot = address.replace('[::1]', '127.0.0.1');
  return fake;
}

const getUpdatesSchema = z.object({
  offset: intParam.optional(),
  limit: intParam.optional(),
  timeout: intParam.min(0).optional(),
  allowed_updates: jsonParam(z.array(z.string())).optional(),
});

function chatOf(state: FakeBotState, params: RawParams): number | undefined {
  const parsed = CHAT_OF.safeParse(params);
  if (parsed.success && (parsed.data.chat_id ?? parsed.data.user_id) !== undefined) return parsed.data.chat_id ?? parsed.data.user_id;
  const queryId = params['callback_query_id'];
  return typeof queryId === 'string' ? state.callbackQueries.get(queryId)?.chatId : undefined;
}

const JSON_PARAMS = new Set(['reply_markup', 'prices', 'commands', 'entities', 'caption_entities', 'allowed_updates', 'scope']);

/** Uploads become `{ byteLength, filename }`; JSON-typed fields sent as form strings are decoded. */
function describeParams(params: RawParams): RawParams {
  return Object.fromEntries(
    Object.entries(params).map(([key, value]) => {
      if (isUploadedFile(value)) return [key, { byteLength: value.data.length, filename: value.filename }];
      if (typeof value === 'string' && JSON_PARAMS.has(key)) {
        try {
          return [key, JSON.parse(value) as unknown];
        } catch {
          return [key, value];
        }
      }
      return [key, value];
    }),
  );
}
