import { sql, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError } from '../../lib/errors';
import { webhookEventRow, type WebhookEventRow } from '../schemas/webhook-event-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** Header names that carry credentials; also any name containing one of SECRET_WORDS. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-telegram-bot-api-secret-token',
  'crypto-pay-api-token',
]);
const SECRET_WORDS = ['secret', 'token', 'password', 'api-key', 'apikey'];

/**
 * Request headers safe to store: names lower-cased, credentials dropped, array values joined with
 * ", ". Signature headers (e.g. crypto-pay-api-signature) are kept: they prove nothing without the
 * key and help to investigate a rejected event.
 */
export function redactWebhookHeaders(headers: Record<string, string | readonly string[] | undefined>): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || SECRET_HEADERS.has(name) || SECRET_WORDS.some((word) => name.includes(word))) continue;
    safe[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return safe;
}

/**
 * Stores a raw provider event in the inbox, once per (provider, eventKey). A duplicate delivery or
 * replay changes nothing and returns the stored row with `inserted: false`.
 *
 * @param input.payload the parsed JSON body, or null when it was not JSON
 * @param input.headers request headers; secrets are removed with {@link redactWebhookHeaders}
 * @idempotency provider+eventKey
 */
export async function recordWebhookEvent(
  connection: CommonQueryMethods,
  input: {
    provider: string;
    eventKey: string;
    payload: unknown;
    rawBody: string;
    headers: Record<string, string | readonly string[] | undefined>;
  },
): Promise<{ inserted: boolean; event: WebhookEventRow }> {
  const actor: Actor = { type: 'provider_webhook', provider: input.provider };
  return connection.transaction(async (tx) => {
    const inserted = await tx.maybeOne(sql.type(webhookEventRow)`
      INSERT INTO webhook_events (provider, event_key, payload, raw_body, headers)
      VALUES (
        ${input.provider}, ${input.eventKey},
        ${input.payload === null || input.payload === undefined ? null : sql.jsonb(input.payload as Parameters<typeof sql.jsonb>[0])}::jsonb,
        ${input.rawBody}, ${sql.jsonb(redactWebhookHeaders(input.headers))}
      )
      ON CONFLICT (provider, event_key) DO NOTHING
      RETURNING *
    `);
    if (inserted === null) {
      const existing = await tx.one(sql.type(webhookEventRow)`
        SELECT * FROM webhook_events WHERE provider = ${input.provider} AND event_key = ${input.eventKey}
      `);
      return { inserted: false, event: existing };
    }
    await writeAuditLog(tx, {
      actor,
      action: 'webhook.received',
      entityType: 'webhook_event',
      entityId: inserted.id,
      details: { provider: inserted.provider, event_key: inserted.event_key },
    });
    return { inserted: true, event: inserted };
  });
}

/**
 * Settles an event: 'processed' (acted on) or 'ignored' (nothing to do, e.g. an event type we do not
 * use), linking the payment it concerned. From 'received' or 'failed' only; exactly once.
 *
 * @idempotency eventId
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown event
 */
export async function settleWebhookEvent(
  connection: CommonQueryMethods,
  input: { eventId: number; status: 'processed' | 'ignored'; paymentId?: number | null; actor: Actor },
): Promise<{ changed: boolean; event: WebhookEventRow }> {
  return connection.transaction(async (tx) => {
    const settled = await tx.maybeOne(sql.type(webhookEventRow)`
      UPDATE webhook_events
      SET status = ${input.status}::text, processed_at = now(), error = NULL,
          payment_id = coalesce(${input.paymentId ?? null}::int, payment_id)
      WHERE id = ${input.eventId} AND status IN ('received', 'failed')
      RETURNING *
    `);
    if (settled === null) {
      const current = await tx.maybeOne(sql.type(webhookEventRow)`SELECT * FROM webhook_events WHERE id = ${input.eventId}`);
      if (current === null) throw new RecordNotFoundError('webhook event');
      return { changed: false, event: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `webhook.${input.status}`,
      entityType: 'webhook_event',
      entityId: settled.id,
      details: { payment_id: settled.payment_id },
    });
    return { changed: true, event: settled };
  });
}

/**
 * Records that processing an unsettled event failed (it stays eligible for reprocessing).
 *
 * @param input.error short reason (truncated to 1000 characters), no secrets
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown event
 */
export async function markWebhookEventFailed(
  connection: CommonQueryMethods,
  input: { eventId: number; error: string; actor: Actor },
): Promise<{ changed: boolean; event: WebhookEventRow }> {
  return connection.transaction(async (tx) => {
    const failed = await tx.maybeOne(sql.type(webhookEventRow)`
      UPDATE webhook_events SET status = 'failed', error = ${input.error.slice(0, 1000)}
      WHERE id = ${input.eventId} AND status IN ('received', 'failed')
      RETURNING *
    `);
    if (failed === null) {
      const current = await tx.maybeOne(sql.type(webhookEventRow)`SELECT * FROM webhook_events WHERE id = ${input.eventId}`);
      if (current === null) throw new RecordNotFoundError('webhook event');
      return { changed: false, event: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'webhook.failed',
      entityType: 'webhook_event',
      entityId: failed.id,
      details: { error: failed.error },
    });
    return { changed: true, event: failed };
  });
}
