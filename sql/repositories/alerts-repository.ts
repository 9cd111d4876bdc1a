import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { operatorAlertRow, type OperatorAlertRow } from '../schemas/operator-alert-row';

/** A new alert as the alert activity records it (summary already redacted). */
export interface NewOperatorAlert {
  key: string;
  kind: string;
  summary: string;
  subscriptionId?: number | undefined;
  userId?: number | undefined;
  paymentId?: number | undefined;
  serverId?: number | undefined;
  /** The activity execution recording it (workflow id / run id / activity id), or null outside one. */
  caller: string | null;
}

/** How many suppressed alerts of one kind wait to be summed into the next sent alert. */
export interface SuppressedDigest {
  kind: string;
  count: number;
  since: Date;
}

/** Key of the advisory lock that makes one alert delivery at a time (rate count and digest stay exact). */
const DELIVERY_LOCK = 7_401_400_014;

/**
 * Records an alert once per key: a repeat returns the first row with `created: false`.
 *
 * @idempotency key
 */
export async function recordOperatorAlert(
  connection: CommonQueryMethods,
  input: NewOperatorAlert,
): Promise<{ created: boolean; alert: OperatorAlertRow }> {
  const created = await connection.maybeOne(sql.type(operatorAlertRow)`
    INSERT INTO operator_alerts (alert_key, kind, summary, subscription_id, user_id, payment_id, server_id, caller)
    VALUES (
      ${input.key}, ${input.kind}, ${input.summary}, ${input.subscriptionId ?? null}, ${input.userId ?? null},
      ${input.paymentId ?? null}, ${input.serverId ?? null}, ${input.caller}
    )
    ON CONFLICT (alert_key) DO NOTHING
    RETURNING *
  `);
  if (created !== null) return { created: true, alert: created };
  return {
    created: false,
    alert: await connection.one(sql.type(operatorAlertRow)`SELECT * FROM operator_alerts WHERE alert_key = ${input.key}`),
  };
}

/**
 * Inside a transaction: waits for the delivery lock (held until the transaction ends), then locks
 * and returns the alert row.
 * @throws slonik's NotFoundError for an unknown id
 */
export async function lockAlertForDelivery(tx: CommonQueryMethods, alertId: number): Promise<OperatorAlertRow> {
  await tx.query(sql.unsafe`SELECT pg_advisory_xact_lock(${DELIVERY_LOCK})`);
  return tx.one(sql.type(operatorAlertRow)`SELECT * FROM operator_alerts WHERE id = ${alertId} FOR UPDATE`);
}

/** How many alerts of `kind` were sent in the last `withinSeconds` seconds. */
export async function countAlertsSentSince(
  connection: CommonQueryMethods,
  input: { kind: string; withinSeconds: number },
): Promise<number> {
  return connection.oneFirst(sql.type(z.object({ count: z.number().int() }))`
    SELECT count(*)::int AS count FROM operator_alerts
    WHERE kind = ${input.kind} AND status = 'sent' AND sent_at > now() - make_interval(secs => ${input.withinSeconds})
  `);
}

/** Suppressed alerts not yet summed into a sent one, per kind (excluding `exceptId`). */
export async function listSuppressedDigest(connection: CommonQueryMethods, exceptId: number | null): Promise<readonly SuppressedDigest[]> {
  return connection.any(sql.type(z.object({ kind: z.string(), count: z.number().int(), since: z.date() }))`
    SELECT kind, count(*)::int AS count, min(created_at) AS since FROM operator_alerts
    WHERE status = 'suppressed' AND digested_at IS NULL AND id IS DISTINCT FROM ${exceptId}
    GROUP BY kind ORDER BY kind
  `);
}

/** pending -> suppressed (over the rate limit). */
export async function markAlertSuppressed(connection: CommonQueryMethods, alertId: number): Promise<OperatorAlertRow> {
  return connection.one(sql.type(operatorAlertRow)`
    UPDATE operator_alerts SET status = 'suppressed' WHERE id = ${alertId} AND status = 'pending' RETURNING *
  `);
}

/** pending -> undeliverable (no chat accepted it). */
export async function markAlertUndeliverable(connection: CommonQueryMethods, alertId: number): Promise<OperatorAlertRow> {
  return connection.one(sql.type(operatorAlertRow)`
    UPDATE operator_alerts SET status = 'undeliverable' WHERE id = ${alertId} AND status = 'pending' RETURNING *
  `);
}

/**
 * pending -> sent, and every suppressed alert not yet summed is marked as summed into this one
 * (call it with the same lock held as {@link listSuppressedDigest}, so the count shown is the count marked).
 */
export async function markAlertSent(connection: CommonQueryMethods, alertId: number): Promise<OperatorAlertRow> {
  await connection.query(sql.unsafe`
    UPDATE operator_alerts SET digested_at = now(), digested_by = ${alertId}
    WHERE status = 'suppressed' AND digested_at IS NULL AND id <> ${alertId}
  `);
  return connection.one(sql.type(operatorAlertRow)`
    UPDATE operator_alerts SET status = 'sent', sent_at = now() WHERE id = ${alertId} AND status = 'pending' RETURNING *
  `);
}

/** Ids of alerts still pending (a crash or an outage between recording and delivery), oldest first. */
export async function listPendingAlertIds(
  connection: CommonQueryMethods,
  input: { olderThanSeconds: number; limit: number },
): Promise<readonly number[]> {
  return connection.anyFirst(sql.type(z.object({ id: z.number().int() }))`
    SELECT id FROM operator_alerts
    WHERE status = 'pending' AND created_at < now() - make_interval(secs => ${input.olderThanSeconds})
    ORDER BY id LIMIT ${input.limit}
  `);
}

/** The newest suppressed alert not yet summed, when it is older than `olderThanSeconds`; else null. */
export async function newestStaleSuppressedId(connection: CommonQueryMethods, olderThanSeconds: number): Promise<number | null> {
  return connection.maybeOneFirst(sql.type(z.object({ id: z.number().int() }))`
    SELECT max(id) AS id FROM operator_alerts
    WHERE status = 'suppressed' AND digested_at IS NULL
    HAVING max(created_at) < now() - make_interval(secs => ${olderThanSeconds})
  `);
}
