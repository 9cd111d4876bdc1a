/**
 * The worker's way of talking to Telegram: a bare grammY `Api` (no bot, no polling) behind a
 * two-method interface, so activities can be tested against the fake Bot API or a stub.
 */
import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import { AppError, ErrorCode } from '../lib/errors';
import { createSendThrottle, type SendThrottle } from './send-throttle';

/** The chat a message goes to: the user's Telegram id (private chats share it). */
export type ChatId = number;

/** What a sent message is known by. */
export interface SentMessage {
  /** Telegram's message id in that chat. */
  messageId: number;
}

/** Inline buttons under a message: rows of buttons whose presses reach the bot as callback data. */
export type MessageButtons = ReadonlyArray<ReadonlyArray<{ text: string; callbackData: string }>>;

/** Sends messages to users. Implementations throw only the Telegram errors below. */
export interface TelegramSender {
  /**
   * Sends plain text (no parse_mode, so nothing needs escaping), with optional inline buttons.
   * @throws TelegramBlockedError, TelegramRejectedError, TelegramUnavailableError
   */
  sendText(chatId: ChatId, text: string, buttons?: MessageButtons): Promise<SentMessage>;
  /**
   * Sends a PNG image given as base64 (a `data:` prefix is accepted), with an optional plain caption
   * (at most 1024 characters, Telegram's limit) and optional inline buttons.
   * @throws TelegramBlockedError, TelegramRejectedError, TelegramUnavailableError
   */
  sendPhoto(chatId: ChatId, pngBase64: string, caption?: string, buttons?: MessageButtons): Promise<SentMessage>;
}

/** grammY's `reply_markup` for {@link MessageButtons} (none when there are no buttons). */
function replyMarkup(buttons: MessageButtons | undefined) {
  if (buttons === undefined || buttons.length === 0) return {};
  return {
    reply_markup: {
      inline_keyboard: buttons.map((row) => row.map((button) => ({ text: button.text, callback_data: button.callbackData }))),
    },
  };
}

/** Longest caption Telegram accepts on a photo, in characters. */
export const MAX_CAPTION_LENGTH = 1024;

/**
 * The user cannot be reached: they blocked the bot, deleted their account, or never started it
 * (Telegram answers 403). Not retryable: only the user can change that.
 */
export class TelegramBlockedError extends AppError {
  constructor(method: string) {
    super(ErrorCode.TELEGRAM_BLOCKED, `Telegram ${method}: the user cannot be reached (403)`);
  }
}

/** Telegram refused the request (400, 401, 404, ...): a bug or a bad token; retrying changes nothing. */
export class TelegramRejectedError extends AppError {
  constructor(method: string, errorCode: number) {
    super(ErrorCode.TELEGRAM_REJECTED, `Telegram ${method} rejected the request (${errorCode})`);
  }
}

/**
 * Telegram did not answer, answered 5xx, or asked us to wait longer than is waited inside a call.
 * Retryable; `retryAfterMs` (a 429's retry_after) is when the next attempt may go, and the
 * activity's retry is scheduled then (toActivityFailure), never earlier.
 */
export class TelegramUnavailableError extends AppError {
  constructor(method: string, detail: string, retryAfterMs?: number) {
    super(ErrorCode.TELEGRAM_UNAVAILABLE, `Telegram ${method} unavailable: ${detail}`, {
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
}

/** Options of {@link createTelegramSender}. */
export interface TelegramSenderOptions {
  /** Bot token. Never logged, never put in an error. */
  token: string;
  /** Bot API base URL without a trailing slash, e.g. `https://api.telegram.org` or a fake's. */
  apiRoot: string;
  /** Retries of one call after a 429 or a 5xx, inside the call; default 3. */
  maxRetryAttempts?: number;
  /**
   * Longest `retry_after` waited out inside the call, in seconds; default 30. A longer one fails
   * the call with TelegramUnavailableError carrying `retryAfterMs`, and the activity retries then.
   */
  maxDelaySeconds?: number;
  /** Multiplies every `retry_after` (tests shrink Telegram's seconds); default 1. */
  retryAfterScale?: number;
  /** Spreads bursts within Telegram's limits; default 30 messages/s overall and 1 message/s per chat. */
  throttle?: SendThrottle;
  /** Bound on each HTTP request, in seconds; default 15. */
  timeoutSeconds?: number;
}

/**
 * Builds a {@link TelegramSender} on grammY's `Api`. Every send first takes a slot of the throttle
 * (30/s overall, 1/s per chat by default). A 429 whose retry_after is within `maxDelaySeconds` is
 * waited out inside the call; a longer one fails the call with `retryAfterMs`, and the activity's
 * next attempt is scheduled that much later (toActivityFailure's nextRetryDelay), so no retry is
 * burnt early. 5xx answers are retried inside the call with a short backoff. Network errors are not
 * retried here: they surface as TelegramUnavailableError and Temporal's retry policy takes over.
 *
 * Errors never carry the token, the request payload (message text), or the network error's cause
 * (whose message names the URL, token included).
 */
export function createTelegramSender(options: TelegramSenderOptions): TelegramSender {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 15 });
  const scale = options.retryAfterScale ?? 1;
  const throttle = options.throttle ?? createSendThrottle();
  const maxAttempts = 1 + (options.maxRetryAttempts ?? 3);
  const maxDelaySeconds = options.maxDelaySeconds ?? 30;

  /** How long to wait before trying `error`'s call again inside this call, or null to give up now. */
  function inlineWaitMs(error: unknown, attempt: number): number | null {
    if (!(error instanceof GrammyError) || attempt >= maxAttempts) return null;
    if (error.error_code === 429) {
      const retryAfter = error.parameters.retry_after ?? 1;
      return retryAfter <= maxDelaySeconds ? retryAfter * 1000 * scale : null;
    }
    return error.error_code >= 500 ? Math.min(1000 * 2 ** (attempt - 1), 5000) * scale : null;
  }

  async function call<T extends { message_id: number }>(method: string, chatId: ChatId, send: () => Promise<T>): Promise<SentMessage> {
    for (let attempt = 1; ; attempt += 1) {
      await throttle.take(chatId);
      try {
        const message = await send();
        return { messageId: message.message_id };
      } catch (error) {
        const wait = inlineWaitMs(error, attempt);
        if (wait === null) throw toTelegramError(method, error, scale);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  return {
    sendText: (chatId, text, buttons) =>
      call('sendMessage', chatId, () =>
        api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true }, ...replyMarkup(buttons) }),
      ),
    sendPhoto: (chatId, pngBase64, caption, buttons) => {
      const png = Buffer.from(pngBase64.replace(/^data:image\/png;base64,/, ''), 'base64');
      const photo = new InputFile(png, 'qr.png');
      return call('sendPhoto', chatId, () =>
        api.sendPhoto(chatId, photo, { ...(caption === undefined ? {} : { caption }), ...replyMarkup(buttons) }),
      );
    },
  };
}

/**
 * Maps a grammY failure to the typed Telegram errors (anything else is returned unchanged). A 429
 * carries its retry_after (times `scale`) as the error's `retryAfterMs`.
 */
export function toTelegramError(method: string, error: unknown, scale = 1): unknown {
  if (error instanceof GrammyError) {
    if (error.error_code === 403) return new TelegramBlockedError(method);
    if (error.error_code === 429) {
      const retryAfter = error.parameters.retry_after;
      return new TelegramUnavailableError(
        method,
        `HTTP 429${retryAfter === undefined ? '' : ` (retry after ${retryAfter} s)`}`,
        retryAfter === undefined ? undefined : Math.ceil(retryAfter * 1000 * scale),
      );
    }
    if (error.error_code >= 500) return new TelegramUnavailableError(method, `HTTP ${error.error_code}`);
    return new TelegramRejectedError(method, error.error_code);
  }
  if (error instanceof HttpError) return new TelegramUnavailableError(method, 'network error');
  return error;
}
