/**
 * Verifies a webhook request with its provider's own check (`parseNotification`: YooKassa's
 * source IP, Crypto Pay's and the sandbox's HMAC over the raw body) once per request: the rate
 * limiter (does this request count as a failed one?) and the route (what does it say?) read the
 * same verdict, so a verified webhook is parsed and its signature computed once.
 */
import type { FastifyRequest } from 'fastify';
import { WebhookRejectedError, type PaymentProviderName } from '../lib/payments/payment-errors';
import type { NotificationEvent } from '../lib/payments/payment-provider';
import type { PaymentProviders } from '../lib/payments/payments-config';

/** The providers whose webhooks the api takes at `/webhooks/:provider`. */
export const WEBHOOK_PROVIDERS: readonly PaymentProviderName[] = ['yookassa', 'cryptopay', 'sandbox'];

/** What verifying one request found. */
export type WebhookVerdict =
  | { kind: 'unknown-provider' }
  | { kind: 'verified'; provider: PaymentProviderName; event: NotificationEvent }
  | { kind: 'rejected'; provider: PaymentProviderName; error: WebhookRejectedError };

/**
 * The verdict for a request, computed on first use and remembered for that request. Errors other
 * than a rejection (a bug) are thrown, and not remembered.
 */
export type WebhookVerification = (request: FastifyRequest) => WebhookVerdict;

/** Builds the verification over the configured providers. */
export function createWebhookVerification(providers: PaymentProviders): WebhookVerification {
  const verdicts = new WeakMap<FastifyRequest, WebhookVerdict>();

  function verify(request: FastifyRequest): WebhookVerdict {
    const name = (request.params as { provider?: string }).provider as PaymentProviderName;
    const provider = WEBHOOK_PROVIDERS.includes(name) ? providers.byName[name] : undefined;
    if (provider === undefined) return { kind: 'unknown-provider' };
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      return {
        kind: 'verified',
        provider: name,
        event: provider.parseNotification({ rawBody, headers: request.headers, sourceIp: request.ip }),
      };
    } catch (error) {
      if (error instanceof WebhookRejectedError) return { kind: 'rejected', provider: name, error };
      throw error;
    }
  }

  return (request) => {
    const known = verdicts.get(request);
    if (known !== undefined) return known;
    const verdict = verify(request);
    verdicts.set(request, verdict);
    return verdict;
  };
}
