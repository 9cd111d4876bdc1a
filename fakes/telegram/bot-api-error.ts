/**
 * An error the fake Bot API answers with, in Telegram's envelope:
 * `{ ok: false, error_code, description, parameters? }` and the same HTTP status.
 * Descriptions copy Telegram's wording, so code that matches on them behaves as in production.
 */
export class BotApiError extends Error {
  readonly errorCode: number;
  readonly parameters: { retry_after?: number } | undefined;

  constructor(errorCode: number, description: string, parameters?: { retry_after?: number }) {
    super(description);
    this.name = 'BotApiError';
    this.errorCode = errorCode;
    this.parameters = parameters;
  }

  /** The JSON body Telegram sends for this error. */
  toEnvelope(): { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } } {
    return {
      ok: false,
      error_code: this.errorCode,
      description: this.message,
      ...(this.parameters === undefined ? {} : { parameters: this.parameters }),
    };
  }
}

/** `400 Bad Request: <detail>`, Telegram's answer to invalid parameters. */
export function badRequest(detail: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${detail}`);
}
