/**
 * Typed errors raised by the payment provider layer. Callers (activities, the api) match on `code`,
 * `retryable` and, for webhooks, `reason`; never on message text. Messages name the provider and
 * the API route, and never contain the shop secret, the API token, credentials or payer data.
 * The codes live in the registry in `lib/errors.ts`; `PaymentErrorCode` names this subset.
 */
import { AppError, ErrorCode } from '../errors';

/** Stable codes of payment errors. Never rename one. */
export const PaymentErrorCode = {
  PAYMENT_UNAVAILABLE: ErrorCode.PAYMENT_UNAVAILABLE,
  PAYMENT_REJECTED: ErrorCode.PAYMENT_REJECTED,
  PAYMENT_AUTH_FAILED: ErrorCode.PAYMENT_AUTH_FAILED,
  PAYMENT_NOT_FOUND: ErrorCode.PAYMENT_NOT_FOUND,
  WEBHOOK_REJECTED: ErrorCode.WEBHOOK_REJECTED,
} as const;

/** One of the stable payment error codes. */
export type PaymentErrorCode = (typeof PaymentErrorCode)[keyof typeof PaymentErrorCode];

/** Which provider module raised an error. */
export type PaymentProviderName = 'yookassa' | 'cryptopay' | 'sandbox';

/** Base class of every payment error; `retryable` tells activities whether to retry. */
export class PaymentError extends AppError {
  declare readonly code: PaymentErrorCode;
  readonly provider: PaymentProviderName;

  constructor(
    code: PaymentErrorCode,
    provider: PaymentProviderName,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.provider = provider;
  }
}

/** Why a provider could not give a definite answer. */
export type PaymentUnavailableReason =
  /** No answer within the timeout. */
  | 'timeout'
  /** Connection refused, reset or DNS failure. */
  | 'connection'
  /** HTTP 5xx, 429 or 408, after the bounded retries. */
  | 'http-status'
  /** YooKassa kept answering 202 (accepted, still processing) after the bounded retries. */
  | 'still-processing'
  /** The answer was not the documented JSON (schema mismatch). */
  | 'bad-response';

/**
 * The provider could not be reached or gave no definite answer. Retryable with the **same**
 * idempotency key: the operation may or may not have happened. `bad-response` is not retryable
 * (the same answer would come again); the caller reconciles with `fetchStatus` later.
 */
export class PaymentUnavailableError extends PaymentError {
  readonly reason: PaymentUnavailableReason;
  /** HTTP status when the provider answered; undefined for network failures. */
  readonly status: number | undefined;

  constructor(
    provider: PaymentProviderName,
    message: string,
    options: { reason: PaymentUnavailableReason; status?: number; cause?: unknown },
  ) {
    super(PaymentErrorCode.PAYMENT_UNAVAILABLE, provider, message, {
      cause: options.cause,
      retryable: options.reason !== 'bad-response',
    });
    this.reason = options.reason;
    this.status = options.status;
  }
}

/**
 * The provider understood the request and refused it (YooKassa 4xx `invalid_request`, `forbidden`;
 * Crypto Pay `ok:false`). Not retryable as is: fix the request, and retry with a **new** key.
 */
export class PaymentRejectedError extends PaymentError {
  /** HTTP status of the refusal (Crypto Pay: the envelope's `error.code`). */
  readonly status: number;
  /** The provider's own error code (`invalid_request`, `AMOUNT_INVALID`, ...), truncated to 100 chars. */
  readonly providerCode: string;
  /** YooKassa's `parameter` naming the offending field, when given. */
  readonly parameter: string | undefined;

  constructor(
    provider: PaymentProviderName,
    message: string,
    options: { status: number; providerCode?: string; parameter?: string; cause?: unknown },
  ) {
    super(PaymentErrorCode.PAYMENT_REJECTED, provider, message, { cause: options.cause, retryable: false });
    this.status = options.status;
    this.providerCode = (options.providerCode ?? '').slice(0, 100);
    this.parameter = options.parameter?.slice(0, 100);
  }
}

/** The credentials (shop id and secret key, API token) were refused. Not retryable: fix the config. */
export class PaymentAuthError extends PaymentError {
  constructor(provider: PaymentProviderName, message: string, options: { cause?: unknown } = {}) {
    super(PaymentErrorCode.PAYMENT_AUTH_FAILED, provider, message, { cause: options.cause, retryable: false });
  }
}

/** The provider has no payment/invoice with that id (or it was deleted). Not retryable. */
export class PaymentNotFoundError extends PaymentError {
  constructor(provider: PaymentProviderName, message: string, options: { cause?: unknown } = {}) {
    super(PaymentErrorCode.PAYMENT_NOT_FOUND, provider, message, { cause: options.cause, retryable: false });
  }
}

/** Why a webhook was refused. The api answers 401 to `ip-not-allowed`/`bad-signature`, 400 to `malformed`. */
export type WebhookRejectedReason = 'ip-not-allowed' | 'bad-signature' | 'malformed';

/**
 * A notification failed verification (source IP not on the allowlist, missing or wrong signature)
 * or is not the provider's documented shape. Nothing in it may be acted on. Not retryable.
 */
export class WebhookRejectedError extends PaymentError {
  readonly reason: WebhookRejectedReason;

  constructor(provider: PaymentProviderName, reason: WebhookRejectedReason, message: string, options: { cause?: unknown } = {}) {
    super(PaymentErrorCode.WEBHOOK_REJECTED, provider, message, { cause: options.cause, retryable: false });
    this.reason = reason;
  }
}

/** True for any error raised by the payment provider layer. */
export function isPaymentError(error: unknown): error is PaymentError {
  return error instanceof PaymentError;
}
