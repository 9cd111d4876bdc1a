/**
 * The broadcast's way of sending one message: a bare grammY `Api` WITHOUT auto-retry, answering
 * what happened instead of throwing, because the broadcast decides per outcome:
 * - sent: Telegram accepted it;
 * - blocked (403): the user blocked the bot or is gone; marked and skipped from then on;
 * - rate_limited (429, with retry_after): certainly not sent; the whole broadcast waits and retries it;
 * - failed (other 4xx, e.g. 400 chat not found): certainly not sent; not retried;
 * - unknown (5xx, timeout, network error): it may or may not have reached the user; never resent.
 */
import { Api, GrammyError, HttpError } from 'grammy';

/** What one send did. */
export type BroadcastSendOutcome =
  | { kind: 'sent' }
  | { kind: 'blocked' }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'failed'; errorCode: number }
  | { kind: 'unknown'; errorCode?: number };

/** Sends broadcast messages. */
export interface BroadcastSender {
  /** Sends plain text (no parse_mode). Never throws for a Telegram answer or a network failure. */
  send(chatId: number, text: string): Promise<BroadcastSendOutcome>;
}

/** Builds a {@link BroadcastSender}; the token is never logged or put in an outcome. */
export function createBroadcastSender(options: { token: string; apiRoot: string; timeoutSeconds?: number }): BroadcastSender {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 15 });
  return {
    async send(chatId, text) {
      try {
        await api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true } });
        return { kind: 'sent' };
      } catch (error) {
        if (error instanceof GrammyError) {
          if (error.error_code === 403) return { kind: 'blocked' };
          if (error.error_code === 429) return { kind: 'rate_limited', retryAfterSeconds: Math.max(1, error.parameters.retry_after ?? 1) };
          if (error.error_code >= 500) return { kind: 'unknown', errorCode: error.error_code };
          return { kind: 'failed', errorCode: error.error_code };
        }
        if (error instanceof HttpError) return { kind: 'unknown' };
        return { kind: 'unknown' };
      }
    },
  };
}
