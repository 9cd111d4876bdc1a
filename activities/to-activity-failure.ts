import { ApplicationFailure } from '@temporalio/activity';
import { AppError } from '../lib/errors';

/**
 * Turns an error thrown inside an activity into what the activity should throw: an AppError (panel
 * errors included) becomes an `ApplicationFailure` with `type = error.code` and
 * `nonRetryable = !error.retryable`, so workflows and retry policies match on the stable code; a
 * retryable one with `retryAfterMs` schedules the next attempt no sooner (`nextRetryDelay`).
 * Anything else is returned unchanged (Temporal retries it: an unexpected error may be a bug a
 * redeploy fixes).
 *
 * The original error is deliberately not attached as `cause`: its chain can hold a fetch error
 * whose message names the full panel URL, including the secret web base path. AppError messages
 * are written to be safe to show, so the message alone is carried.
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof AppError) {
    // A retry_after is honoured whatever its length: the next attempt is scheduled then, not after the policy's backoff.
    const wait =
      error.retryable && error.retryAfterMs !== undefined && error.retryAfterMs > 0 ? { nextRetryDelay: error.retryAfterMs } : {};
    return ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: !error.retryable, ...wait });
  }
  return error;
}

/**
 * Runs `work` and rethrows its failure through {@link toActivityFailure}.
 * @throws ApplicationFailure for AppErrors; other errors as they are
 */
export async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
