/**
 * The HTTP exchange every provider client uses: one bounded request, the raw answer, and network
 * failures mapped onto `PaymentUnavailableError`. Status handling belongs to each provider.
 */
import { PaymentUnavailableError, type PaymentProviderName } from './payment-errors';

/** The subset of a pino logger the payment clients use. Never given secrets or bodies. */
export interface PaymentLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** One request. `route` is what logs and errors show (method name or path, no query, no ids of secrets). */
export interface ProviderRequest {
  method: 'GET' | 'POST';
  url: string;
  route: string;
  headers: Record<string, string>;
  body?: string;
}

/** A raw answer. */
export interface ProviderResponse {
  status: number;
  text: string;
}

/** What {@link sendProviderRequest} needs besides the request. */
export interface ProviderHttpContext {
  provider: PaymentProviderName;
  /** Bound on the whole exchange (headers and body), in milliseconds. */
  timeoutMs: number;
  fetch: typeof globalThis.fetch;
  logger?: PaymentLogger | undefined;
}

/**
 * Sends one request and reads the whole body.
 * @throws PaymentUnavailableError (`timeout` or `connection`)
 */
export async function sendProviderRequest(ctx: ProviderHttpContext, request: ProviderRequest): Promise<ProviderResponse> {
  const started = performance.now();
  try {
    const response = await ctx.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    const text = await response.text();
    ctx.logger?.debug(
      {
        provider: ctx.provider,
        method: request.method,
        route: request.route,
        status: response.status,
        ms: Math.round(performance.now() - started),
      },
      'payment provider call',
    );
    return { status: response.status, text };
  } catch (error) {
    const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
    ctx.logger?.warn(
      { provider: ctx.provider, method: request.method, route: request.route, ms: Math.round(performance.now() - started), timedOut },
      'payment provider unreachable',
    );
    throw new PaymentUnavailableError(
      ctx.provider,
      timedOut
        ? `${request.method} ${request.route}: no answer within ${ctx.timeoutMs} ms`
        : `${request.method} ${request.route}: connection failed`,
      { reason: timedOut ? 'timeout' : 'connection', cause: error },
    );
  }
}

/** Parses JSON text; undefined when it is not JSON. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Reads one header (first value when repeated); header names are matched in lower case. */
export function headerValue(headers: Readonly<Record<string, string | readonly string[] | undefined>>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return typeof value === 'string' ? value : value?.[0];
}

/** Promise-based delay, in milliseconds. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
