import { GrammyError, HttpError } from 'grammy';

/** A loggable summary of an error: no payloads, no causes, no token. */
export interface ErrorSummary {
  name: string;
  message: string;
  /** `code` of an AppError. */
  code?: string;
  /** Bot API method and error code of a failed call. */
  method?: string;
  errorCode?: number;
}

/**
 * Summarises an error for logs without leaking secrets or user data: grammY errors keep only
 * the method and Telegram's description (never the call payload, which holds message text),
 * network errors drop their cause (whose message carries the request URL, token included), and
 * every occurrence of `token` is blanked as a last line of defence.
 */
export function describeError(error: unknown, token: string): ErrorSummary {
  const redact = (text: string) => (token === '' ? text : text.split(token).join('[token]'));
  if (error instanceof GrammyError) {
    return { name: 'GrammyError', message: redact(error.description), method: error.method, errorCode: error.error_code };
  }
  if (error instanceof HttpError) return { name: 'HttpError', message: redact(error.message) };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: redact(error.message), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'NonError', message: redact(String(error)) };
}
