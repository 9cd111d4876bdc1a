import { createHash } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { escapeUnstorable, storableJson } from '../../lib/db/storable-text';
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

/** Longest event key stored as is (the column is VARCHAR(255)). */
const MAX_EVENT_KEY_LENGTH = 255;

/** Every column of webhook_events but raw_bytes (the schema's fields). */
const EVENT_COLUMNS = sql.fragment`
  id, provider, event_key, payload, raw_body, headers, received_at, processed_at, status, error, payment_id,
  sanitized, deliveries, last_delivered_at
`;

/**
 * The key an event is stored under: the provider's key when Postgres can hold it as is, else
 * `sha256:<hex>` of its escaped form (a key with NUL or a lone surrogate, or one over 255
 * characters), so the same key always lands on the same row.
 */
export function storedEventKey(eventKey: string): string {
  const escaped = escapeUnstorable(eventKey);
  if (escaped === eventKey && eventKey.length <= MAX_EVENT_KEY_LENGTH) return eventKey;
  return `sha256:${createHash('sha256').update(escaped, 'utf8').digest('hex')}`;
}

/** What of one delivery can be stored: text, JSON and headers escaped (see lib/db/storable-text.ts). */
interface StorableDelivery {
  eventKey: string;
  rawText: string;
  payload: unknown;
  headers: Record<string, string>;
  sanitized: boolean;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function storableDelivery(input: WebhookDeliveryInput): StorableDelivery {
  const decoded = input.rawBody.toString('utf8');
  const rawText = escapeUnstorable(decoded);
  const payload = storableJson(parseJson(decoded));
  const headers: Record<string, string> = {};
  let headersChanged = false;
  for (const [name, value] of Object.entries(redactWebhookHeaders(input.headers))) {
    const [safeName, safeValue] = [escapeUnstorable(name), escapeUnstorable(value)];
    if (safeName !== name || safeValue !== value) headersChanged = true;
    headers[safeName] = safeValue;
  }
  const eventKey = storedEventKey(input.eventKey);
  const exact = rawText === decoded && Buffer.from(decoded, 'utf8').equals(input.rawBody);
  return {
    eventKey,
    rawText,
    payload: payload.value,
    headers,
    sanitized: !exact || payload.changed || headersChanged || eventKey !== input.eventKey,
  };
}

/** One verified delivery, as the api received it. */
export interface WebhookDeliveryInput {
  provider: string;
  /** The provider's deduplication key (NotificationEvent.eventKey), as parsed. */
  eventKey: string;
  /** The body exactly as received. */
  rawBody: Buffer;
  /** Request headers; secrets are removed with {@link redactWebhookHeaders}. */
  headers: Record<string, string | readonly string[] | undefined>;
}

/**
 * How a delivery relates to what the inbox knew: the first of its key; a repeat of an event not
 * settled yet (to be processed again); or a repeat of a settled event (nothing to do).
 */
export type WebhookDeliveryKind = 'first' | 'repeat' | 'settled';

/**
 * Stores one verified delivery in the inbox, whatever its body holds: the exact bytes (bytea), the
 * text and parsed JSON with NUL and lone surrogates escaped, headers minus secrets. The first
 * delivery of a (provider, event key) creates the event row; a repeat counts on it and, unless the
 * event is settled, keeps its own raw copy in webhook_event_deliveries and is to be processed
 * again (an earlier copy may have proved nothing). A repeat of a settled event only counts.
 *
 * @idempotency provider+eventKey (one event row; repeats are counted, never a second event)
 */
export async function recordWebhookDelivery(
  connection: CommonQueryMethods,
  input: WebhookDeliveryInput,
): Promise<{ delivery: WebhookDeliveryKind; event: WebhookEventRow }> {
  const actor: Actor = { type: 'provider_webhook', provider: input.provider };
  const stored = storableDelivery(input);
  return connection.transaction(async (tx) => {
    const inserted = await tx.maybeOne(sql.type(webhookEventRow)`
      INSERT INTO webhook_events (provider, event_key, payload, raw_body, raw_bytes, headers, sanitized)
      VALUES (
        ${input.provider}, ${stored.eventKey},
        ${stored.payload === null || stored.payload === undefined ? null : sql.jsonb(stored.payload as Parameters<typeof sql.jsonb>[0])}::jsonb,
        ${stored.rawText}, ${sql.binary(input.rawBody)}, ${sql.jsonb(stored.headers)}, ${stored.sanitized}
      )
      ON CONFLICT (provider, event_key) DO NOTHING
      RETURNING ${EVENT_COLUMNS}
    `);
    if (inserted !== null) {
      await writeAuditLog(tx, {
        actor,
        action: 'webhook.received',
        entityType: 'webhook_event',
        entityId: inserted.id,
        details: { provider: inserted.provider, event_key: inserted.event_key, ...(stored.sanitized ? { sanitized: true } : {}) },
      });
      return { delivery: 'first', event: inserted };
    }
    const existing = await tx.one(sql.type(webhookEventRow)`
      UPDATE webhook_events SET deliveries = deliveries + 1, last_delivered_at = now()
      WHERE provider = ${input.provider} AND event_key = ${stored.eventKey}
      RETURNING ${EVENT_COLUMNS}
    `);
    if (existing.status === 'settled') return { delivery: 'settled', event: existing };
    await tx.query(sql.unsafe`
      INSERT INTO webhook_event_deliveries (webhook_event_id, raw_bytes, raw_body, headers, sanitized)
      VALUES (${existing.id}, ${sql.binary(input.rawBody)}, ${stored.rawText}, ${sql.jsonb(stored.headers)}, ${stored.sanitized})
    `);
    return { delivery: 'repeat', event: existing };
  });
}

/** What verification read from a delivery: all the dispatcher needs to hand it off (0017). */
export interface WebhookNotification {
  kind: string;
  /** `payments.id` the provider echoes back; null when absent. */
  orderId: number | null;
  /** The provider's payment id; null when Postgres cannot hold it (such an id names no payment of ours). */
  externalId: string | null;
}

/** How {@link acceptWebhookDelivery} found the inbox: new, a repeat to process again, or a settled no-op. */
export interface AcceptedDelivery {
  delivery: WebhookDeliveryKind;
  eventId: number;
}

const acceptedRow = z.object({ id: z.number(), status: z.string(), first: z.boolean() });
const eventIdRow = z.object({ id: z.number() });

/**
 * Stores one verified delivery for the dispatcher (api/webhook-dispatcher.ts), answering as soon as
 * it is committed. The first delivery of a (provider, event key) is one statement: the inbox row
 * ('received', with `notification`) and its 'webhook.received' audit row. A repeat of a settled
 * event is the same one statement and writes nothing (count it in a metric). A repeat of any
 * other event (an earlier copy may have proved nothing) is a second statement: it is counted,
 * its raw copy kept in webhook_event_deliveries, and the event made 'received' again with this
 * notification, so the dispatcher processes it again; it waits while a dispatcher holds the row.
 *
 * @idempotency provider+eventKey (one event row; repeats never make a second)
 */
export async function acceptWebhookDelivery(
  connection: CommonQueryMethods,
  input: WebhookDeliveryInput & { notification: WebhookNotification },
): Promise<AcceptedDelivery> {
  const stored = storableDelivery(input);
  const payload =
    stored.payload === null || stored.payload === undefined ? null : sql.jsonb(stored.payload as Parameters<typeof sql.jsonb>[0]);
  const notification = sql.jsonb({
    kind: input.notification.kind,
    orderId: input.notification.orderId,
    externalId: input.notification.externalId,
  });
  // A concurrent first delivery of the same key makes both CTE branches empty (its row was not
  // visible to `found`, and ON CONFLICT skipped ours): the next statement sees it.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const row = await connection.maybeOne(sql.type(acceptedRow)`
      WITH found AS (
        SELECT id, status FROM webhook_events WHERE provider = ${input.provider} AND event_key = ${stored.eventKey}
      ), inserted AS (
        INSERT INTO webhook_events (provider, event_key, payload, raw_body, raw_bytes, headers, sanitized, notification)
        SELECT ${input.provider}, ${stored.eventKey}, ${payload}::jsonb, ${stored.rawText}, ${sql.binary(input.rawBody)},
               ${sql.jsonb(stored.headers)}, ${stored.sanitized}, ${notification}
        WHERE NOT EXISTS (SELECT 1 FROM found)
        ON CONFLICT (provider, event_key) DO NOTHING
        RETURNING id, status, provider, event_key
      ), audited AS (
        INSERT INTO audit_logs (action, entity_type, entity_id, details, actor, actor_id)
        SELECT 'webhook.received', 'webhook_event', id,
               jsonb_build_object('provider', provider, 'event_key', event_key) || ${sql.jsonb(stored.sanitized ? { sanitized: true } : {})},
               'provider_webhook', provider
        FROM inserted
      )
      SELECT id, status, true AS first FROM inserted
      UNION ALL
      SELECT id, status, false AS first FROM found
    `);
    if (row === null) continue;
    if (row.first) return { delivery: 'first', eventId: row.id };
    if (row.status === 'settled') return { delivery: 'settled', eventId: row.id };
    const again = await connection.maybeOne(sql.type(eventIdRow)`
      WITH bumped AS (
        UPDATE webhook_events
        SET deliveries = deliveries + 1, last_delivered_at = now(), status = 'received', processed_at = NULL, error = NULL,
            notification = ${notification}, dispatch_attempts = 0, dispatch_after = NULL
        WHERE id = ${row.id} AND status <> 'settled'
        RETURNING id
      ), kept AS (
        INSERT INTO webhook_event_deliveries (webhook_event_id, raw_bytes, raw_body, headers, sanitized)
        SELECT id, ${sql.binary(input.rawBody)}, ${stored.rawText}, ${sql.jsonb(stored.headers)}, ${stored.sanitized} FROM bumped
      )
      SELECT id FROM bumped
    `);
    return { delivery: again === null ? 'settled' : 'repeat', eventId: row.id };
  }
  throw new Error('webhook delivery neither stored nor found after three attempts');
}

/** What processing a delivery found; see the 0015 migration header. */
export type WebhookOutcome = 'handed_off' | 'settled' | 'ignored';

/**
 * Records what processing a delivery found: 'handed_off' (the payment's workflow was signalled;
 * proves nothing yet), 'settled' (the payment had reached the end this event leads to; later
 * repeats are no-ops) or 'ignored' (about nothing of ours), linking the payment it concerned.
 * A settled event never changes again.
 *
 * @idempotency eventId+status
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown event
 */
export async function recordWebhookOutcome(
  connection: CommonQueryMethods,
  input: { eventId: number; status: WebhookOutcome; paymentId?: number | null; actor: Actor },
): Promise<{ changed: boolean; event: WebhookEventRow }> {
  return connection.transaction(async (tx) => {
    const updated = await tx.maybeOne(sql.type(webhookEventRow)`
      UPDATE webhook_events
      SET status = ${input.status}::text, processed_at = now(), error = NULL,
          payment_id = coalesce(${input.paymentId ?? null}::int, payment_id)
      WHERE id = ${input.eventId} AND status <> 'settled'
      RETURNING ${EVENT_COLUMNS}
    `);
    if (updated === null) {
      const current = await tx.maybeOne(sql.type(webhookEventRow)`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE id = ${input.eventId}`);
      if (current === null) throw new RecordNotFoundError('webhook event');
      return { changed: false, event: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `webhook.${input.status}`,
      entityType: 'webhook_event',
      entityId: updated.id,
      details: { payment_id: updated.payment_id },
    });
    return { changed: true, event: updated };
  });
}

/**
 * Records that processing a delivery failed: the event stays eligible (a repeat is processed
 * again). Never touches a settled event.
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
      UPDATE webhook_events SET status = 'failed', processed_at = NULL, error = ${input.error.slice(0, 1000)}
      WHERE id = ${input.eventId} AND status <> 'settled'
      RETURNING ${EVENT_COLUMNS}
    `);
    if (failed === null) {
      const current = await tx.maybeOne(sql.type(webhookEventRow)`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE id = ${input.eventId}`);
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

/**
 * The inbox API before 0015, kept for callers written against it: stores one delivery like
 * {@link recordWebhookDelivery} (`payload` is ignored: it is parsed from `rawBody`) and says
 * whether it created the event. Prefer recordWebhookDelivery, which also says whether a repeat
 * must be processed again.
 *
 * @idempotency provider+eventKey
 */
export async function recordWebhookEvent(
  connection: CommonQueryMethods,
  input: { provider: string; eventKey: string; payload?: unknown; rawBody: string | Buffer; headers: WebhookDeliveryInput['headers'] },
): Promise<{ inserted: boolean; event: WebhookEventRow }> {
  const rawBody = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody;
  const { delivery, event } = await recordWebhookDelivery(connection, {
    provider: input.provider,
    eventKey: input.eventKey,
    rawBody,
    headers: input.headers,
  });
  return { inserted: delivery === 'first', event };
}

/**
 * The settle call before 0015: 'processed' (acted on, done) is now 'settled'.
 * Prefer {@link recordWebhookOutcome}.
 *
 * @idempotency eventId
 */
export async function settleWebhookEvent(
  connection: CommonQueryMethods,
  input: { eventId: number; status: 'processed' | 'ignored'; paymentId?: number | null; actor: Actor },
): Promise<{ changed: boolean; event: WebhookEventRow }> {
  return recordWebhookOutcome(connection, { ...input, status: input.status === 'processed' ? 'settled' : 'ignored' });
}
