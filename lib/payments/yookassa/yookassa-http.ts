/**
 * The HTTP layer of the YooKassa client: HTTP Basic `shopId:secretKey`, `Idempotence-Key`, the
 * documented retry rules (202 → wait `retry_after` and repeat with the same key; 5xx → repeat with
 * the same key; both bounded) and the mapping of every other answer onto typed payment errors.
 */
import type { z } from 'zod';
import { PaymentAuthError, PaymentNotFoundError, PaymentRejectedError, PaymentUnavailableError } from '../payment-errors';
import { parseJsonText, sendProviderRequest, sleepMs, type PaymentLogger, type ProviderResponse } from '../provider-http';
import { yookassaErrorSchema, yookassaProcessingSchema } from './yookassa-schemas';

/** Default API root. */
export const YOOKASSA_DEFAULT_BASE_URL = 'https://api.yookassa.ru/v3';

/** Options of {@link createYooKassaHttp}. */
export interface YooKassaHttpOptions {
  shopId: string;
  secretKey: string;
  /** API root including `/v3`; default {@link YOOKASSA_DEFAULT_BASE_URL}. */
  baseUrl?: string | undefined;
  /** Bound on each HTTP exchange, in milliseconds; default 10 000. */
  timeoutMs?: number | undefined;
  /** Tries per call when YooKassa answers 202 or 5xx (same key each time); default 3, as the official SDKs. */
  maxAttempts?: number | undefined;
  /** Wait before repeating after a 5xx, or a 202 without `retry_after`, in milliseconds; default 1800 (SDK). */
  retryDelayMs?: number | undefined;
  /** Upper bound on any single wait, whatever `retry_after` says, in milliseconds; default 10 000. */
  maxRetryDelayMs?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  logger?: PaymentLogger | undefined;
  /** Injectable delay (tests); default a timer. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** One call. `path` starts with '/' and is relative to the API root. */
export interface YooKassaCall<S extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  /** What logs and errors show instead of the path (which may contain ids). */
  route: string;
  json?: unknown;
  /** Required for POST. */
  idempotenceKey?: string;
  schema: S;
}

/** What {@link createYooKassaHttp} returns. */
export interface YooKassaHttp {
  /**
   * Sends a call, repeating it on 202/5xx as documented, and returns the validated answer.
   * @throws PaymentUnavailableError, PaymentRejectedError, PaymentAuthError, PaymentNotFoundError
   */
  call<S extends z.ZodType>(call: YooKassaCall<S>): Promise<z.infer<S>>;
}

/** Creates the HTTP layer for one shop. */
export function createYooKassaHttp(options: YooKassaHttpOptions): YooKassaHttp {
  const root = (options.baseUrl ?? YOOKASSA_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${options.shopId}:${options.secretKey}`).toString('base64')}`;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const retryDelayMs = options.retryDelayMs ?? 1800;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
  const sleep = options.sleep ?? sleepMs;
  const ctx = {
    provider: 'yookassa' as const,
    timeoutMs: options.timeoutMs ?? 10_000,
    fetch: options.fetch ?? globalThis.fetch,
    logger: options.logger,
  };

  async function call<S extends z.ZodType>(request: YooKassaCall<S>): Promise<z.infer<S>> {
    const where = `${request.method} ${request.route}`;
    const headers: Record<string, string> = { accept: 'application/json', authorization };
    if (request.idempotenceKey !== undefined) headers['idempotence-key'] = request.idempotenceKey;
    if (request.json !== undefined) headers['content-type'] = 'application/json';
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    let response: ProviderResponse | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      response = await sendProviderRequest(ctx, { method: request.method, url: root + request.path, route: request.route, headers, body });
      const again = response.status === 202 || response.status >= 500;
      if (!again) break;
      if (attempt === maxAttempts) break;
      const wait = response.status === 202 ? retryAfterOf(response) : retryDelayMs;
      options.logger?.warn(
        { provider: 'yookassa', route: request.route, status: response.status, attempt, waitMs: wait },
        'yookassa asks to repeat',
      );
      await sleep(Math.min(wait, maxRetryDelayMs));
    }
    if (response === undefined) throw new Error('unreachable: no attempt made');
    return interpret(where, response, request.schema);
  }

  function retryAfterOf(response: ProviderResponse): number {
    const parsed = yookassaProcessingSchema.safeParse(parseJsonText(response.text));
    return parsed.success && parsed.data.retry_after !== undefined ? parsed.data.retry_after : retryDelayMs;
  }

  return { call };
}

function interpret<S extends z.ZodType>(where: string, response: ProviderResponse, schema: S): z.infer<S> {
  const { status } = response;
  if (status === 200 || status === 201) {
    const parsed = schema.safeParse(parseJsonText(response.text));
    if (!parsed.success) {
      throw new PaymentUnavailableError('yookassa', `${where}: the answer is not the documented object`, {
        reason: 'bad-response',
        status,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }
  if (status === 202) {
    throw new PaymentUnavailableError('yookassa', `${where}: still processing (202) after the bounded retries`, {
      reason: 'still-processing',
      status,
    });
  }
  if (status >= 500 || status === 429 || status === 408) {
    throw new PaymentUnavailableError('yookassa', `${where}: HTTP ${status}`, { reason: 'http-status', status });
  }
  const error = yookassaErrorSchema.safeParse(parseJsonText(response.text));
  const code = error.success ? error.data.code : '';
  const detail = error.success ? `${error.data.code}${error.data.parameter ? ` (${error.data.parameter})` : ''}` : 'no error body';
  if (status === 401) throw new PaymentAuthError('yookassa', `${where}: HTTP 401 ${detail}: check the shop id and secret key`);
  if (status === 404) throw new PaymentNotFoundError('yookassa', `${where}: HTTP 404 ${detail}`);
  const description = error.success && error.data.description ? `: ${error.data.description.slice(0, 200)}` : '';
  throw new PaymentRejectedError('yookassa', `${where}: HTTP ${status} ${detail}${description}`, {
    status,
    providerCode: code,
    ...(error.success && error.data.parameter !== undefined ? { parameter: error.data.parameter } : {}),
  });
}
