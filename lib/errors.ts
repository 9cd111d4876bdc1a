/**
 * The error registry. Every error the code raises on purpose is an AppError with a stable `code`;
 * tests and activities match on `code`, never on message text. Messages never contain secrets.
 *
 * Retired codes: none yet.
 */

/** Stable error codes. Never rename one; retire it by listing it above. */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  TEMPORAL_UNAVAILABLE: 'TEMPORAL_UNAVAILABLE',
  TOOL_INSTALL_FAILED: 'TOOL_INSTALL_FAILED',
  NOT_FOUND: 'NOT_FOUND',
  INSUFFICIENT_BALANCE: 'INSUFFICIENT_BALANCE',
  SERVER_FULL: 'SERVER_FULL',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  SECRET_DECRYPT_FAILED: 'SECRET_DECRYPT_FAILED',
  PANEL_UNAVAILABLE: 'PANEL_UNAVAILABLE',
  PANEL_REJECTED: 'PANEL_REJECTED',
  PANEL_AUTH_FAILED: 'PANEL_AUTH_FAILED',
  PANEL_NOT_FOUND: 'PANEL_NOT_FOUND',
  PANEL_NOT_CONFIGURED: 'PANEL_NOT_CONFIGURED',
  SUBSCRIPTION_STATE_INVALID: 'SUBSCRIPTION_STATE_INVALID',
  PAYMENT_UNAVAILABLE: 'PAYMENT_UNAVAILABLE',
  PAYMENT_REJECTED: 'PAYMENT_REJECTED',
  PAYMENT_AUTH_FAILED: 'PAYMENT_AUTH_FAILED',
  PAYMENT_NOT_FOUND: 'PAYMENT_NOT_FOUND',
  WEBHOOK_REJECTED: 'WEBHOOK_REJECTED',
  INVALID_INPUT: 'INVALID_INPUT',
  TELEGRAM_BLOCKED: 'TELEGRAM_BLOCKED',
  TELEGRAM_REJECTED: 'TELEGRAM_REJECTED',
  TELEGRAM_UNAVAILABLE: 'TELEGRAM_UNAVAILABLE',
  NOTIFICATION_IN_FLIGHT: 'NOTIFICATION_IN_FLIGHT',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every deliberate error. `retryable` tells activities how to fail. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** For a retryable error: the least wait before the next attempt (e.g. Telegram's retry_after), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Configuration is missing or malformed; the process cannot start. */
export class ConfigError extends AppError {
  constructor(message: string) {
    super(ErrorCode.CONFIG_INVALID, message);
  }
}

/** A required local tool (Temporal CLI, test server) could not be installed. */
export class ToolInstallError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.TOOL_INSTALL_FAILED, message, options);
  }
}

/** A row the caller named (by id, token, telegram id, ...) does not exist. */
export class RecordNotFoundError extends AppError {
  constructor(entity: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.NOT_FOUND, `${entity} not found`, options);
  }
}

/** A debit would take a balance below zero; nothing was changed. */
export class InsufficientBalanceError extends AppError {
  constructor() {
    super(ErrorCode.INSUFFICIENT_BALANCE, 'balance is lower than the amount to debit');
  }
}

/**
 * No active, healthy server has a free slot. Retryable: a slot frees up when a subscription ends
 * or an operator adds capacity.
 */
export class ServerFullError extends AppError {
  constructor() {
    super(ErrorCode.SERVER_FULL, 'no active server with a free slot', { retryable: true });
  }
}

/** An idempotency key was already used for a different operation (a caller bug, never retried). */
export class IdempotencyKeyReusedError extends AppError {
  constructor(what: string) {
    super(ErrorCode.IDEMPOTENCY_KEY_REUSED, `idempotency key already used for a different ${what}`);
  }
}

/** A sealed secret could not be decrypted: wrong key, tampered box, or wrong context. */
export class SecretDecryptError extends AppError {
  constructor(message = 'secret box could not be decrypted (wrong key, tampered, or wrong context)') {
    super(ErrorCode.SECRET_DECRYPT_FAILED, message);
  }
}

/**
 * The subscription is not in a state that allows the operation (e.g. provisioning one that is not
 * active or has no period, enabling a client that was never provisioned). Not retryable: the caller
 * (a workflow) must decide what to do.
 */
export class SubscriptionStateError extends AppError {
  constructor(message: string) {
    super(ErrorCode.SUBSCRIPTION_STATE_INVALID, message);
  }
}

/**
 * An argument is out of its documented range (e.g. a period of 0 days). Not retryable: the caller
 * sent it, and sending it again changes nothing.
 */
export class InvalidInputError extends AppError {
  constructor(message: string) {
    super(ErrorCode.INVALID_INPUT, message);
  }
}
