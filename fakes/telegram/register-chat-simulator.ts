import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CHAT_SIMULATOR_PAGE } from './chat-simulator-page';
import type { ChatEntry } from './create-chat-store';
import type { FakeTelegram } from './fake-telegram-api';

const userSchema = z.object({
  id: z.coerce.number().int().positive(),
  first_name: z.string().min(1).max(64).optional(),
  language_code: z.string().max(10).optional(),
});
const sendSchema = z.object({ user: userSchema, text: z.string().min(1).max(4096) });
const pressSchema = z.object({ user: userSchema, data: z.string().min(1), messageId: z.number().int().positive() });
const paySchema = z.object({ user: userSchema, payload: z.string().min(1) });
const chatQuerySchema = z.object({ user: z.coerce.number().int().positive() });
const photoParamsSchema = z.object({ chatId: z.coerce.number().int(), messageId: z.coerce.number().int().positive() });

/**
 * Adds the browser chat simulator to the fake: `GET /` serves the page, `/__sim/*` is the JSON
 * it polls and posts to (send a message, press a button, pay an invoice, fetch a photo).
 * Development only; it has no authentication.
 */
export function registerChatSimulator(app: FastifyInstance, fake: FakeTelegram): void {
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(CHAT_SIMULATOR_PAGE));

  app.get('/__sim/chat', (request, reply) => {
    const query = chatQuerySchema.safeParse(request.query);
    if (!query.success) return reply.code(400).send({ error: 'user must be a positive integer' });
    const chatId = query.data.user;
    return {
      bot: fake.botInfo.username,
      messages: fake.state.chats
        .list(chatId)
        .filter((entry) => !entry.deleted)
        .map((entry) => view(chatId, entry)),
      errors: fake
        .sent(chatId)
        .filter((call) => !call.ok)
        .slice(-5)
        .map((call) => `${call.method}: ${call.description ?? ''}`),
    };
  });

  app.post('/__sim/send', (request, reply) => {
    const body = jsonBody(request, sendSchema);
    if (body === undefined) return reply.code(400).send({ error: 'invalid body' });
    fake.userSends(body.user, body.text);
    return { ok: true };
  });

  app.post('/__sim/press', (request, reply) => {
    const body = jsonBody(request, pressSchema);
    if (body === undefined) return reply.code(400).send({ error: 'invalid body' });
    fake.userPresses(body.user, body.data, body.messageId);
    return { ok: true };
  });

  app.post('/__sim/pay', async (request, reply) => {
    const body = jsonBody(request, paySchema);
    if (body === undefined) return reply.code(400).send({ error: 'invalid body' });
    try {
      const outcome = await fake.userPays(body.user, body.payload);
      return { ok: true, status: outcome.status, ...(outcome.status === 'declined' ? { error: outcome.errorMessage } : {}) };
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
  });

  app.get('/__sim/photo/:chatId/:messageId', (request, reply) => {
    const params = photoParamsSchema.safeParse(request.params);
    const photo = params.success ? fake.state.chats.find(params.data.chatId, params.data.messageId)?.photo : undefined;
    if (photo === undefined) return reply.code(404).send({ error: 'no such photo' });
    return reply.type(sniffImageType(photo)).send(photo);
  });
}

function jsonBody<T extends z.ZodType>(request: FastifyRequest, schema: T): z.infer<T> | undefined {
  try {
    const raw: unknown = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '');
    const parsed = schema.safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
  pay?: boolean;
}

function view(chatId: number, entry: ChatEntry) {
  const { message } = entry;
  const markup = message.reply_markup as { inline_keyboard?: InlineButton[][] } | undefined;
  const invoice = message['invoice'] as { title: string; description: string; total_amount: number } | undefined;
  const paid = message['successful_payment'] as { total_amount: number } | undefined;
  const refunded = message['refunded_payment'] as { total_amount: number } | undefined;
  return {
    id: message.message_id,
    from: entry.from,
    text: message.text ?? message.caption ?? '',
    edited: message['edit_date'] !== undefined,
    ...(entry.photo === undefined ? {} : { photo: `/__sim/photo/${chatId}/${message.message_id}` }),
    ...(invoice === undefined ? {} : { invoice: { ...invoice, payload: entry.invoicePayload ?? '' } }),
    ...(paid === undefined ? {} : { text: `⭐ paid ${paid.total_amount} Stars` }),
    ...(refunded === undefined ? {} : { text: `⭐ refunded ${refunded.total_amount} Stars` }),
    buttons: (markup?.inline_keyboard ?? []).map((row) =>
      row.map((button) => ({
        text: button.text,
        ...(button.callback_data === undefined ? {} : { data: button.callback_data }),
        ...(button.url === undefined ? {} : { url: button.url }),
        ...(button.pay === true ? { pay: true } : {}),
      })),
    ),
  };
}

function sniffImageType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  return 'application/octet-stream';
}
