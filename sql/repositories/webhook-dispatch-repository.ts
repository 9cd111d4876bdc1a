/**
 * The webhook outbox's side of the inbox (0017): a dispatcher claims 'received' events in a
 * transaction (FOR UPDATE SKIP LOCKED, so dispatchers never take the same row and a dead one's rows
 * return at once), hands them off and records every outcome with its audit row before committing.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { paymentRow, type PaymentRow } from '../schemas/payment-row';
import type { WebhookNotification } from './webhook-events-repository';

/** A claimed event: what the dispatcher needs to hand it off. */
export interface WebhookEventToDispatch {
  id: number;
  provider: string;
  notification: WebhookNotification;
  /** Failed hand-offs so far. */
  attempts: number;
}

const claimedRow = z.object({
  id: z.number(),
  provider: z.string(),
  notification: z.object({ kind: z.string(), orderId: z.number().nullable(), externalId: z.string().nullable() }),
  dispatch_attempts: z.number(),
});

/**
 * Locks up to `limit` received events that are due (oldest first), skipping rows another
 * transaction holds. Call inside the transaction that records their outcomes.
 */
export async function claimWebhookEventsToDispatch(tx: CommonQueryMethods, limit: number): Promise<WebhookEventToDispatch[]> {
  const rows = await tx.any(sql.type(claimedRow)`
    SELECT id, provider, notification, dispatch_attempts FROM webhook_events
    WHERE status = 'received' AND notification IS NOT NULL AND (dispatch_after IS NULL OR dispatch_after <= now())
    ORDER BY id
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED
  `);
  return rows.map((row) => ({ id: row.id, provider: row.provider, notification: row.notification, attempts: row.dispatch_attempts }));
}

/**
 * What became of one claimed event: handed off (the payment's workflow was signalled), settled
 * (its payment had already reached the end the event leads to), ignored (names no payment of
 * ours), or retry (the hand-off failed: stays 'received', due again after a backoff).
 */
export type WebhookDispatchOutcome =
  | { eventId: number; status: 'handed_off' | 'settled'; paymentId: number }
  | { eventId: number; status: 'ignored' }
  | { eventId: number; status: 'retry'; error: string };

/** Longest wait between two failed hand-offs of one event, in seconds. */
export const MAX_DISPATCH_BACKOFF_SECONDS = 300;

/**
 * Records the outcomes of claimed events in one statement, with a `webhook.<status>` audit row for
 * each that left 'received'. Only rows still 'received' change (the caller holds their locks).
 *
 * @returns how many events changed
 */
export async function recordWebhookDispatchOutcomes(tx: CommonQueryMethods, outcomes: readonly WebhookDispatchOutcome[]): Promise<number> {
  if (outcomes.length === 0) return 0;
  const tuples = outcomes.map((outcome) => [
    outcome.eventId,
    outcome.status,
    outcome.status === 'handed_off' || outcome.status === 'settled' ? outcome.paymentId : null,
    outcome.status === 'retry' ? outcome.error.slice(0, 1000) : null,
  ]);
  return tx.oneFirst(sql.type(z.object({ changed: z.number() }))`
    WITH outcome AS (
      SELECT * FROM ${sql.unnest(tuples, ['int8', 'text', 'int4', 'text'])} AS o(id, status, payment_id, error)
    ), updated AS (
      UPDATE webhook_events e
      SET status = CASE WHEN o.status = 'retry' THEN 'received' ELSE o.status END,
          processed_at = CASE WHEN o.status = 'retry' THEN NULL ELSE now() END,
          error = o.error,
          payment_id = coalesce(o.payment_id, e.payment_id),
          dispatch_attempts = CASE WHEN o.status = 'retry' THEN e.dispatch_attempts + 1 ELSE 0 END,
          dispatch_after = CASE WHEN o.status = 'retry'
            THEN now() + make_interval(secs => least(${MAX_DISPATCH_BACKOFF_SECONDS}, power(2, least(e.dispatch_attempts, 16))))
            ELSE NULL END
      FROM outcome o
      WHERE e.id = o.id AND e.status = 'received'
      RETURNING e.id, e.status, e.payment_id, e.provider
    ), audited AS (
      INSERT INTO audit_logs (action, entity_type, entity_id, details, actor, actor_id)
      SELECT 'webhook.' || status, 'webhook_event', id, jsonb_build_object('payment_id', payment_id), 'provider_webhook', provider
      FROM updated WHERE status <> 'received'
    )
    SELECT count(*)::int AS changed FROM updated
  `);
}

/** Largest `payments.id` (an INTEGER column). */
const MAX_PAYMENT_ID = 2_147_483_647;

/**
 * The payment each event names, in one query for a whole round: by `orderId` when the provider
 * echoes it, else by (provider, externalId); null for none of ours: no such payment, another
 * provider's, another external id than the one the event carries, or ids Postgres cannot hold.
 *
 * @returns event id → payment or null, for every event given
 */
export async function findPaymentsForEvents(
  connection: CommonQueryMethods,
  events: readonly WebhookEventToDispatch[],
): Promise<Map<number, PaymentRow | null>> {
  const usable = events.filter(
    ({ notification: { orderId, externalId } }) => externalId !== null && (orderId === null || (orderId >= 1 && orderId <= MAX_PAYMENT_ID)),
  );
  const ids = usable.flatMap((event) => (event.notification.orderId === null ? [] : [event.notification.orderId]));
  const externalIds = usable.flatMap((event) =>
    event.notification.orderId === null && event.notification.externalId !== null ? [event.notification.externalId] : [],
  );
  const rows =
    usable.length === 0
      ? []
      : await connection.any(sql.type(paymentRow)`
          SELECT * FROM payments WHERE id = ANY(${sql.array(ids, 'int4')}) OR external_id = ANY(${sql.array(externalIds, 'text')})
        `);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const found = new Map<number, PaymentRow | null>();
  for (const event of events) {
    const { orderId, externalId } = event.notification;
    let payment: PaymentRow | null = null;
    if (usable.includes(event)) {
      payment =
        (orderId !== null ? byId.get(orderId) : rows.find((row) => row.provider === event.provider && row.external_id === externalId)) ??
        null;
    }
    if (payment !== null && (payment.provider !== event.provider || (payment.external_id !== null && payment.external_id !== externalId)))
      payment = null;
    found.set(event.id, payment);
  }
  return found;
}

/** Received events waiting for a hand-off, due or backing off (the outbox's backlog). */
export async function countWebhookEventsToDispatch(connection: CommonQueryMethods): Promise<number> {
  return connection.oneFirst(sql.type(z.object({ count: z.number() }))`
    SELECT count(*)::int AS count FROM webhook_events WHERE status = 'received' AND notification IS NOT NULL
  `);
}
