/**
 * The HTTP layer of the Crypto Pay client: `Crypto-Pay-API-Token` header, JSON POST to
 * `<base>/<method>`, the `ok` envelope, and the mapping of failures onto typed payment errors.
 */
import type { z } from 'zod';
import { PaymentAuthError, PaymentNotFoundError, PaymentRejectedError, PaymentUnavailableError } from '../payment-errors';
import { parseJsonText, sendProviderRequest, type PaymentLogger } from '../provider-http';
import { cryptoPayEnvelopeSchema } from './cryptopay-schemas';

/** Default API root (mainnet). Testnet: `https://testnet-pay.crypt.bot/api`. */
export const CRYPTO_PAY_DEFAULT_BASE_URL = 'https://pay.crypt.bot/api';

/** Options of {@link createCryptoPayHttp}. */
export interface CryptoPayHttpOptions {
  /** The app's API token from @CryptoBot → Crypto Pay → My Apps. */
  token: string;
  /** API root without the method; default {@link CRYPTO_PAY_DEFAULT_BASE_URL}. */
  baseUrl?: string | undefined;
  /** Bound on each HTTP exchange, in milliseconds; default 10 000. */
  timeoutMs?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  logger?: PaymentLogger | undefined;
}

/** What {@link createCryptoPayHttp} returns. */
export interface CryptoPayHttp {
  /**
   * Calls one API method with JSON parameters and returns its validated `result`.
   * @throws PaymentAuthError, PaymentNotFoundError, PaymentRejectedError, PaymentUnavailableError
   */
  call<S extends z.ZodType>(method: string, params: Record<string, unknown>, schema: S): Promise<z.infer<S>>;
}

/** Creates the HTTP layer for one app token. */
export function createCryptoPayHttp(options: CryptoPayHttpOptions): CryptoPayHttp {
  const root = (options.baseUrl ?? CRYPTO_PAY_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const ctx = {
    provider: 'cryptopay' as const,
    timeoutMs: options.timeoutMs ?? 10_000,
    fetch: options.fetch ?? globalThis.fetch,
    logger: options.logger,
  };

  async function call<S extends z.ZodType>(method: string, params: Record<string, unknown>, schema: S): Promise<z.infer<S>> {
    const response = await sendProviderRequest(ctx, {
      method: 'POST',
      url: `${root}/${method}`,
      route: method,
      headers: { accept: 'application/json', 'content-type': 'application/json', 'crypto-pay-api-token': options.token },
      body: JSON.stringify(params),
    });
    const { status } = response;
    const envelope = cryptoPayEnvelopeSchema.safeParse(parseJsonText(response.text));
    if (!envelope.success) {
      if (status >= 500 || status === 429 || status === 408) {
        throw new PaymentUnavailableError('cryptopay', `${method}: HTTP ${status}`, { reason: 'http-status', status });
      }
      if (status === 401 || status === 403) throw new PaymentAuthError('cryptopay', `${method}: HTTP ${status}: check the API token`);
      throw new PaymentUnavailableError('cryptopay', `${method}: HTTP ${status}, not the ok envelope`, { reason: 'bad-response', status });
    }
    if (!envelope.data.ok) {
      const { code, name } = envelope.data.error;
      const where = `${method}: ${code} ${name.slice(0, 100)}`;
      if (code === 401 || status === 401 || name === 'UNAUTHORIZED')
        throw new PaymentAuthError('cryptopay', `${where}: check the API token`);
      if (code >= 500 || status >= 500 || code === 429)
        throw new PaymentUnavailableError('cryptopay', where, { reason: 'http-status', status: code });
      if (/NOT_FOUND/.test(name) && name !== 'METHOD_NOT_FOUND') throw new PaymentNotFoundError('cryptopay', where);
      throw new PaymentRejectedError('cryptopay', where, { status: code, providerCode: name });
    }
    const result = schema.safeParse(envelope.data.result);
    if (!result.success) {
      throw new PaymentUnavailableError('cryptopay', `${method}: the result is not the documented object`, {
        reason: 'bad-response',
        status,
        cause: result.error,
      });
    }
    return result.data;
  }

  return { call };
}
