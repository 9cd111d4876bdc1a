/**
 * Typed errors raised by the 3X-UI panel client. Callers (activities) match on `code` and
 * `retryable`, never on message text. Messages name the HTTP route (without the web base path,
 * which is itself a secret) and never contain the password, the API token or cookies.
 * The codes live in the registry in `lib/errors.ts`; `PanelErrorCode` names the panel's subset.
 */
import { AppError, ErrorCode } from '../errors';

/** Stable codes of panel errors. Never rename one. */
export const PanelErrorCode = {
  PANEL_UNAVAILABLE: ErrorCode.PANEL_UNAVAILABLE,
  PANEL_REJECTED: ErrorCode.PANEL_REJECTED,
  PANEL_AUTH_FAILED: ErrorCode.PANEL_AUTH_FAILED,
  PANEL_NOT_FOUND: ErrorCode.PANEL_NOT_FOUND,
  PANEL_NOT_CONFIGURED: ErrorCode.PANEL_NOT_CONFIGURED,
} as const;

/** One of the stable panel error codes. */
export type PanelErrorCode = (typeof PanelErrorCode)[keyof typeof PanelErrorCode];

/** Base class of every panel error; `retryable` tells activities whether to retry. */
export class PanelError extends AppError {
  declare readonly code: PanelErrorCode;

  constructor(code: PanelErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, message, options);
  }
}

/** Why the panel could not be reached. */
export type PanelUnavailableReason = 'timeout' | 'connection' | 'tls' | 'http-status' | 'bad-response';

/**
 * The panel could not be reached or answered with a server error (connection refused or reset,
 * timeout, HTTP 5xx/429/408). Retryable: try again later.
 */
export class PanelUnavailableError extends PanelError {
  readonly reason: PanelUnavailableReason;
  /** HTTP status when the panel answered; undefined for network failures. */
  readonly status: number | undefined;

  constructor(message: string, options: { reason: PanelUnavailableReason; status?: number; cause?: unknown }) {
    super(PanelErrorCode.PANEL_UNAVAILABLE, message, { cause: options.cause, retryable: true });
    this.reason = options.reason;
    this.status = options.status;
  }
}

/**
 * The panel understood the request and refused it (`success: false`, usually with HTTP 200, or
 * an unexpected 4xx, or an answer that is not the documented JSON). Not retryable as is.
 */
export class PanelRejectedError extends PanelError {
  /** The panel's own message (`msg`), truncated to 300 characters; may name the client email. */
  readonly panelMessage: string;
  /** HTTP status of the refusal (200 for `success: false`). */
  readonly status: number;

  constructor(message: string, options: { panelMessage?: string; status?: number; cause?: unknown } = {}) {
    super(PanelErrorCode.PANEL_REJECTED, message, { cause: options.cause, retryable: false });
    this.panelMessage = (options.panelMessage ?? '').slice(0, 300);
    this.status = options.status ?? 200;
  }
}

/**
 * Logging in failed (wrong username or password, rate-limited, CSRF refused) or the API token was
 * rejected. Not retryable: the configuration must change.
 */
export class PanelAuthError extends PanelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(PanelErrorCode.PANEL_AUTH_FAILED, message, { cause: options.cause, retryable: false });
  }
}

/**
 * A route, inbound or client does not exist: the panel answered 404 even to a fresh session
 * (wrong web base path or API generation), or the addressed inbound is absent. Not retryable.
 */
export class PanelNotFoundError extends PanelError {
  /** True when the API route itself is missing (HTTP 404 to a fresh session), not an inbound or client. */
  readonly routeMissing: boolean;

  constructor(message: string, options: { cause?: unknown; routeMissing?: boolean } = {}) {
    super(PanelErrorCode.PANEL_NOT_FOUND, message, { cause: options.cause, retryable: false });
    this.routeMissing = options.routeMissing ?? false;
  }
}

/**
 * A server row lacks what a panel client needs (panel URL, credentials, inbound id). Not
 * retryable: an operator must complete the server's configuration.
 */
export class PanelNotConfiguredError extends PanelError {
  constructor(message: string) {
    super(PanelErrorCode.PANEL_NOT_CONFIGURED, message, { retryable: false });
  }
}

/** True for any error raised by the panel client. */
export function isPanelError(error: unknown): error is PanelError {
  return error instanceof PanelError;
}
