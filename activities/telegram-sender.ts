/**
 * The worker's way of talking to Telegram: a bare grammY `Api` (no bot, no polling) behind a
 * two-method interface, so activities can be tested against the fake Bot API or a stub.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, GrammyError, HttpError, InputFile } from 'grammy';
import { AppError, ErrorCode } from '../lib/errors';

/** The chat a message goes to: the user's Telegram id (private chats share it). */
export type ChatId = number;

/** What a sent message is known by. */
export interface SentMessage {
  /** Telegram's message id in that chat. */
  messageId: number;
}

/** Sends messages to users. Implementations throw only the Telegram errors below. */
export interface TelegramSender {
  /**
   * Sends plain text (no parse_mode, so nothing needs escaping).
   * @throws TelegramBlockedError, TelegramRejectedError, TelegramUnavailableError
   */
  sendText(chatId: ChatId, text: string): Promise<SentMessage>;
  /**
   * Sends a PNG image given as base64 (a `data:` prefix is accepted), with an optional plain caption
   * (at most 1024 characters, Telegram's limit).
   * @throws TelegramBlockedError, TelegramRejectedError, TelegramUnavailableError
   */
  sendPhoto(chatId: ChatId, pngBase64: string, caption?: string): Promise<SentMessage>;
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

/** Telegram did not answer, answered 5xx, or kept rate-limiting after the bounded waits. Retryable. */
export class TelegramUnavailableError extends AppError {
  constructor(method: string, detail: string) {
    super(ErrorCode.TELEGRAM_UNAVAILABLE, `Telegram ${method} unavailable: ${detail}`, { retryable: true });
  }
}

/** Options of {@link createTelegramSender}. */
export interface TelegramSenderOptions {
  /** Bot token. Never logged, never put in an error. */
  token: string;
  /** Bot API base URL without a trailing slash, e.g. `https://api.telegram.org` or a fake's. */
  apiRoot: string;
  /** Retries of one call after a 429 or a 5xx (auto-retry); default 3. */
  maxRetryAttempts?: number;
  /** Longest `retry_after` waited out inside the call, in seconds; default 30 (longer fails the call). */
  maxDelaySeconds?: number;
  /** Bound on each HTTP request, in seconds; default 15. */
  timeoutSeconds?: number;
}

/**
 * Builds a {@link TelegramSender} on grammY's `Api` with `@grammyjs/auto-retry`, which honours
 * `retry_after` within the bounds above. Network errors are not retried here
 * (`rethrowHttpErrors`): they surface as TelegramUnavailableError and Temporal's retry policy,
 * which spaces attempts out over an hour, takes over.
 *
 * Errors never carry the token, the request payload (message text), or the network error's cause
 * (whose message names the URL, token included).
 */
export function createTelegramSender(options: TelegramSenderOptions): TelegramSender {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 15 });
  api.config.use(
    autoRetry({
      maxRetryAttempts: options.maxRetryAttempts ?? 3,
      maxDelaySeconds: options.maxDelaySeconds ?? 30,
      rethrowHttpErrors: true,
    }),
  );

  async function call<T extends { message_id: number }>(method: string, send: () => Promise<T>): Promise<SentMessage> {
    try {
      const message = await send();
      return { messageId: message.message_id };
    } catch (error) {
      throw toTelegramError(method, error);
    }
  }

  return {
    sendText: (chatId, text) => call('sendMessage', () => api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true } })),
    sendPhoto: (chatId, pngBase64, caption) => {
      const png = Buffer.from(pngBase64.replace(/^data:image\/png;base64,/, ''), 'base64');
      const photo = new InputFile(png, 'qr.png');
      return call('sendPhoto', () => api.sendPhoto(chatId, photo, caption === undefined ? {} : { caption }));
    },
  };
}

/** Maps a grammY failure to the typed Telegram errors (anything else is returned unchanged). */
export function toTelegramError(method: string, error: unknown): unknown {
  if (error instanceof GrammyError) {
    if (error.error_code === 403) return new TelegramBlockedError(method);
    if (error.error_code === 429 || error.error_code >= 500) return new TelegramUnavailableError(method, `HTTP ${error.error_code}`);
    return new TelegramRejectedError(method, error.error_code);
  }
  if (error instanceof HttpError) return new TelegramUnavailableError(method, 'network error');
  return error;
}
