/**
 * `POST /webhooks/:provider` (yookassa, cryptopay, sandbox): verify, store, answer; a dispatcher
 * hands the event off afterwards (api/webhook-dispatcher.ts).
 *
 * 1. The body is kept as the exact bytes received (signatures cover them), at most 64 KiB.
 *    Requests failing verification are rate-limited per client IP (api/rate-limiter.ts); verified
 *    ones never count, so a provider posting a sale's worth of webhooks from a few addresses is
 *    never refused.
 * 2. `provider.parseNotification` verifies it (YooKassa: source IP from `request.ip`, which honours
 *    only the proxies TRUST_PROXY names; Crypto Pay and the sandbox: HMAC over the raw body):
 *    forged → 401, not the provider's shape → 400. Verification runs before any query, and nothing
 *    from a refused request is stored, so a forged copy never consumes the event's key nor costs a
 *    database round trip.
 * 3. Every verified delivery is stored in the inbox, unique per (provider, event key), whatever its
 *    body holds (exact bytes, plus text and JSON with NUL and lone surrogates escaped), so a body
 *    Postgres cannot hold as text never turns into a 503 on every redelivery.
 * 4. The answer waits only for that commit (`acceptWebhookDelivery`: one statement for a first
 *    delivery and for a repeat of a settled event): 200 'accepted' for a first delivery and for a
 *    repeat of an event not settled yet (it is made 'received' again: an early or spoofed copy that
 *    the provider did not back up proved nothing), 200 'duplicate' for a repeat of a settled event
 *    (a no-op: no row written, no log line, counted in `vless_webhook_duplicates_total`; once this
 *    replica has seen the event settled it answers its repeats from memory, api/settled-event-cache.ts,
 *    without a statement: settled is final). The
 *    dispatcher then signals the payment (`paymentVerdict`, signal-with-start; the workflow re-reads
 *    the provider, so the webhook's own claims are never trusted), or settles or ignores the event.
 *    Only a failed store (database down) answers 503, so the provider delivers again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { DatabasePool } from '../../lib/db/create-pool';
import { isStorableText } from '../../lib/db/storable-text';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import { createWebhookVerification, type WebhookVerification } from '../webhook-verification';
import type { SignalVerdict, WebhookDispatchSettings } from '../webhook-dispatcher';
import { createSettledEventCache, type SettledEventCache } from '../settled-event-cache';
import { acceptWebhookDelivery } from '../../sql/repositories/webhook-events-repository';

/** Largest webhook body accepted, in bytes. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** Options of {@link registerWebhookRoutes}. */
export interface WebhookRouteOptions {
  db: DatabasePool;
  providers: PaymentProviders;
  /**
   * Wakes `payment-{id}` with a verdict signal (starting it when none runs), e.g.
   * `signalPaymentVerdict` from clients/payment-workflow-client.ts; called by the dispatcher, never
   * on the answer path. Throws when Temporal cannot take it (the event is retried).
   */
  signalVerdict: SignalVerdict;
  /** The dispatcher's tuning (api/webhook-dispatcher.ts); defaults when omitted. */
  dispatch?: WebhookDispatchSettings | undefined;
  /** The per-request verification shared with the rate limiter; default one of its own over `providers`. */
  verification?: WebhookVerification | undefined;
}

/** What the route needs besides its options: who to wake after a store, what to count. */
export interface WebhookRouteHooks {
  /** Called after an event was stored as 'received' (the dispatcher's wake-up). */
  stored(): void;
  /** Counts repeats of settled events (no log line per duplicate). */
  duplicates?: Counter<'provider'> | undefined;
  /** Events known settled (answered without a statement); default a cache of its own. */
  settled?: SettledEventCache | undefined;
}

type WebhookRequest = FastifyRequest<{ Params: { provider: string } }>;

/** Registers the webhook routes in their own scope (raw-body parser, body limit, no per-request log lines). */
export function registerWebhookRoutes(app: FastifyInstance, options: WebhookRouteOptions, hooks: WebhookRouteHooks): void {
  const { db } = options;
  const verification = options.verification ?? createWebhookVerification(options.providers);
  const settled = hooks.settled ?? createSettledEventCache();

  async function handle(request: WebhookRequest, reply: FastifyReply) {
    const verdict = verification(request);
    if (verdict.kind === 'unknown-provider') return reply.code(404).send({ error: 'unknown provider' });
    const name = verdict.provider;
    if (verdict.kind === 'rejected') {
      request.log.warn({ component: 'webhooks', provider: name, reason: verdict.error.reason, sourceIp: request.ip }, 'webhook rejected');
      return reply.code(verdict.error.reason === 'malformed' ? 400 : 401).send({ error: verdict.error.reason });
    }
    const { event } = verdict;
    if (settled.has(name, event.eventKey)) {
      hooks.duplicates?.inc({ provider: name });
      return reply.code(200).send({ status: 'duplicate' });
    }
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      const stored = await acceptWebhookDelivery(db, {
        provider: name,
        eventKey: event.eventKey,
        rawBody,
        headers: request.headers,
        notification: { kind: event.kind, orderId: event.orderId, externalId: isStorableText(event.externalId) ? event.externalId : null },
      });
      if (stored.delivery === 'settled') {
        settled.add(name, event.eventKey);
        hooks.duplicates?.inc({ provider: name });
        return reply.code(200).send({ status: 'duplicate' });
      }
      hooks.stored();
      return reply.code(200).send({ status: 'accepted' });
    } catch (error) {
      request.log.error(
        { component: 'webhooks', provider: name, err: error instanceof Error ? { name: error.name, message: error.message } : 'unknown' },
        'webhook not stored; asking the provider to retry',
      );
      return reply.code(503).send({ error: 'try again later' });
    }
  }

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    // logLevel warn: fastify's two info lines per request (incoming, completed) would be a line per
    // duplicate; outcomes are counted in metrics instead, rejections and failures still logged.
    scope.post<{ Params: { provider: string } }>('/webhooks/:provider', { bodyLimit: WEBHOOK_BODY_LIMIT, logLevel: 'warn' }, handle);
  });
}
