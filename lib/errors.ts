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
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every deliberate error. `retryable` tells activities how to fail. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
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
