/**
 * `POST /webhooks/:provider` (yookassa, cryptopay, sandbox): verify, store, hand off, answer.
 *
 * 1. The body is kept as the exact bytes received (signatures cover them), at most 64 KiB.
 *    Requests failing verification are rate-limited per client IP (api/rate-limiter.ts).
 * 2. `provider.parseNotification` verifies it (YooKassa: source IP from `request.ip`, which honours
 *    only the proxies TRUST_PROXY names; Crypto Pay and the sandbox: HMAC over the raw body):
 *    forged → 401, not the provider's shape → 400. Nothing from a refused request is stored, so a
 *    forged copy never consumes the event's key.
 * 3. Every verified delivery is stored in the inbox, unique per (provider, event key), whatever its
 *    body holds (exact bytes, plus text and JSON with NUL and lone surrogates escaped), so a body
 *    Postgres cannot hold as text never turns into a 503 on every redelivery.
 * 4. A repeat of a settled event is a no-op 200 ('duplicate'). Any other delivery (first or
 *    repeat) is processed: the payment it names is signalled (`paymentVerdict`,
 *    signal-with-start) and the event marked handed_off. The workflow re-reads the provider, so the
 *    webhook's own claims are never trusted, and a handed-off event proved nothing: an early or
 *    spoofed copy that the provider did not back up does not make the genuine delivery a duplicate.
 *    When the payment has already reached the end this event leads to (completed or refunded; or
 *    cancelled/failed for a cancellation), the event is settled instead and nothing is signalled.
 *    An event about no payment of ours is stored, reported (warn) and answered 200 ('ignored'), so
 *    the provider stops retrying. Only a failed durable hand-off (database or Temporal down)
 *    answers 503, so the provider delivers again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DatabasePool } from '../../lib/db/create-pool';
import { isStorableText } from '../../lib/db/storable-text';
import type { NotificationEvent } from '../../lib/payments/payment-provider';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import { createWebhookVerification, type WebhookVerification } from '../webhook-verification';
import type { Actor } from '../../sql/repositories/audit-repository';
import { getPayment, getPaymentByExternalId } from '../../sql/repositories/payments-repository';
import { markWebhookEventFailed, recordWebhookDelivery, recordWebhookOutcome } from '../../sql/repositories/webhook-events-repository';
import type { PaymentRow } from '../../sql/schemas/payment-row';
import type { PaymentVerdictHint } from '../../clients/payment-workflow-client';

/** Largest `payments.id` (an INTEGER column). */
const MAX_PAYMENT_ID = 2_147_483_647;

/** Largest webhook body accepted, in bytes. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** Options of {@link registerWebhookRoutes}. */
export interface WebhookRouteOptions {
  db: DatabasePool;
  providers: PaymentProviders;
  /**
   * Wakes `payment-{id}` with a verdict signal (starting it when none runs), e.g.
   * `signalPaymentVerdict` from clients/payment-workflow-client.ts. Throws when Temporal cannot take it.
   */
  signalVerdict(payment: PaymentRow, hint: PaymentVerdictHint): Promise<void>;
  /** The per-request verification shared with the rate limiter; default one of its own over `providers`. */
  verification?: WebhookVerification | undefined;
}

type WebhookRequest = FastifyRequest<{ Params: { provider: string } }>;

/**
 * Whether `payment` is already where `kind` leads, so a delivery of it has nothing left to do: a
 * completed or refunded payment for any event; a cancelled or failed one for a cancellation (a
 * success may still complete a cancelled or failed payment: the provider's verdict wins).
 */
function alreadySettled(payment: PaymentRow, kind: NotificationEvent['kind']): boolean {
  if (payment.status === 'completed' || payment.status === 'refunded') return true;
  return kind === 'canceled' && (payment.status === 'cancelled' || payment.status === 'failed');
}

/** Registers the webhook routes in their own scope (raw-body parser, body limit). */
export function registerWebhookRoutes(app: FastifyInstance, options: WebhookRouteOptions): void {
  const { db } = options;
  const verification = options.verification ?? createWebhookVerification(options.providers);

  async function findPayment(event: NotificationEvent): Promise<PaymentRow | null> {
    // Ids Postgres cannot even compare (a NUL, an order id beyond INTEGER) name no payment of ours.
    if (!isStorableText(event.externalId) || (event.orderId !== null && event.orderId > MAX_PAYMENT_ID)) return null;
    const payment =
      event.orderId !== null ? await getPayment(db, event.orderId) : await getPaymentByExternalId(db, { provider: event.provider, externalId: event.externalId });
    if (payment === null || payment.provider !== event.provider) return null;
    if (payment.external_id !== null && payment.external_id !== event.externalId) return null;
    return payment;
  }

  async function handle(request: WebhookRequest, reply: FastifyReply) {
    const verdict = verification(request);
    if (verdict.kind === 'unknown-provider') return reply.code(404).send({ error: 'unknown provider' });
    const name = verdict.provider;
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const log = request.log.child({ component: 'webhooks', provider: name });
    if (verdict.kind === 'rejected') {
      log.warn({ reason: verdict.error.reason, sourceIp: request.ip }, 'webhook rejected');
      return reply.code(verdict.error.reason === 'malformed' ? 400 : 401).send({ error: verdict.error.reason });
    }
    const { event } = verdict;

    const actor: Actor = { type: 'provider_webhook', provider: name };
    let stage = 'inbox';
    let eventId: number | undefined;
    try {
      const stored = await recordWebhookDelivery(db, { provider: name, eventKey: event.eventKey, rawBody, headers: request.headers });
      eventId = stored.event.id;
      if (stored.delivery === 'first' && stored.event.sanitized) log.warn({ eventId }, 'webhook body held characters Postgres cannot store; stored escaped, exact bytes kept');
      if (stored.delivery === 'settled') return reply.code(200).send({ status: 'duplicate' });
      const payment = event.kind === 'succeeded' || event.kind === 'canceled' ? await findPayment(event) : null;
      if (payment === null) {
        if (event.kind === 'succeeded' || event.kind === 'canceled') log.warn({ eventId, orderId: event.orderId }, 'webhook for no payment of ours; stored');
        await recordWebhookOutcome(db, { eventId, status: 'ignored', actor });
        return reply.code(200).send({ status: 'ignored' });
      }
      if (alreadySettled(payment, event.kind)) {
        await recordWebhookOutcome(db, { eventId, status: 'settled', paymentId: payment.id, actor });
        return reply.code(200).send({ status: stored.delivery === 'first' ? 'ignored' : 'duplicate' });
      }
      stage = 'temporal';
      await options.signalVerdict(payment, { source: `webhook:${name}`, kind: event.kind });
      stage = 'record';
      await recordWebhookOutcome(db, { eventId, status: 'handed_off', paymentId: payment.id, actor });
      return reply.code(200).send({ status: 'accepted' });
    } catch (error) {
      log.error({ stage, eventId, err: error instanceof Error ? { name: error.name, message: error.message } : 'unknown' }, 'webhook hand-off failed; asking the provider to retry');
      if (eventId !== undefined) {
        const id = eventId;
        await markWebhookEventFailed(db, { eventId: id, error: `hand-off failed at ${stage}`, actor }).catch(() => undefined);
      }
      return reply.code(503).send({ error: 'try again later' });
    }
  }

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { provider: string } }>('/webhooks/:provider', { bodyLimit: WEBHOOK_BODY_LIMIT }, handle);
  });
}
