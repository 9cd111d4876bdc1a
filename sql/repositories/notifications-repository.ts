import { sql, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError } from '../../lib/errors';
import { notificationRow, type NotificationRow } from '../schemas/notification-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** A message to send, as the caller describes it. */
export interface NewNotification {
  userId: number;
  /** e.g. 'payment_success', 'subscription_expiring', 'referral_bonus'. */
  type: string;
  title?: string | null;
  message?: string | null;
  /** Template parameters and ids; no secrets. */
  data?: Record<string, unknown> | null;
  /** When to send; null/undefined = as soon as possible. */
  scheduledAt?: Date | null;
  /**
   * Derived from what the message is about, e.g. `reminder:<subscriptionId>:<endDate ISO>:72h`, so
   * the same reminder is never enqueued twice.
   */
  idempotencyKey: string;
  actor: Actor;
}

const MAX_ERROR_LENGTH = 1000;

/**
 * Adds a message to the outbox. A second call with the same idempotency key changes nothing and
 * returns the first row, whatever its status.
 *
 * @idempotency input.idempotencyKey
 * @returns the row and whether this call enqueued it
 */
export async function enqueueNotification(
  connection: CommonQueryMethods,
  input: NewNotification,
): Promise<{ enqueued: boolean; notification: NotificationRow }> {
  return connection.transaction(async (tx) => {
    const created = await tx.maybeOne(sql.type(notificationRow)`
      INSERT INTO notifications (user_id, type, title, message, data, scheduled_at, idempotency_key)
      VALUES (
        ${input.userId}, ${input.type}, ${input.title ?? null}, ${input.message ?? null},
        ${input.data ? sql.jsonb(input.data) : null}::jsonb,
        ${input.scheduledAt ? sql.timestamp(input.scheduledAt) : null}, ${input.idempotencyKey}
      )
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING *
    `);
    if (created === null) {
      const existing = await tx.one(sql.type(notificationRow)`
        SELECT * FROM notifications WHERE idempotency_key = ${input.idempotencyKey}
      `);
      return { enqueued: false, notification: existing };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'notification.enqueued',
      entityType: 'notification',
      entityId: created.id,
      userId: created.user_id,
      details: { type: created.type, idempotency_key: created.idempotency_key },
    });
    return { enqueued: true, notification: created };
  });
}

/** The notification with this id, or null. */
export async function getNotification(connection: CommonQueryMethods, notificationId: number): Promise<NotificationRow | null> {
  return connection.maybeOne(sql.type(notificationRow)`SELECT * FROM notifications WHERE id = ${notificationId}`);
}

/*
 * Why deliveries are claimed with a lease on scheduled_at: sending is an HTTP call that must not
 * hold a database connection or row lock (a throttled Telegram can take seconds), yet two attempts
 * with one key (a retry overlapping a slow first attempt) must not both send. The claim is one
 * conditional UPDATE that moves scheduled_at (the earliest time anyone may send) past the lease,
 * so exactly one attempt gets the row; a crashed attempt's lease simply runs out.
 */

/**
 * Claims a due pending message for one delivery attempt: sets scheduled_at to now + `leaseMs`
 * when the row is pending and due (scheduled_at NULL or passed). No audit row (bookkeeping).
 *
 * @param input.leaseMs how long other attempts keep off, in milliseconds (cover one send with its retries)
 * @returns the claimed row, or null when it is not pending, not due, or claimed by another attempt
 */
export async function claimNotificationDelivery(
  connection: CommonQueryMethods,
  input: { notificationId: number; leaseMs: number },
): Promise<NotificationRow | null> {
  return connection.maybeOne(sql.type(notificationRow)`
    UPDATE notifications SET scheduled_at = now() + make_interval(secs => ${input.leaseMs / 1000})
    WHERE id = ${input.notificationId} AND status = 'pending' AND (scheduled_at IS NULL OR scheduled_at <= now())
    RETURNING *
  `);
}

/**
 * Ends a claim early after a transient failure, so the next attempt may send at once (scheduled_at
 * = now). Changes nothing unless the message is still pending.
 */
export async function releaseNotificationClaim(connection: CommonQueryMethods, input: { notificationId: number }): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE notifications SET scheduled_at = now() WHERE id = ${input.notificationId} AND status = 'pending'
  `);
}

/**
 * Marks a message sent (from pending, or from failed when a later retry got through). Exactly once:
 * a second call returns `changed: false`.
 *
 * @param input.telegramMessageId the id Telegram gave the sent message, when known
 * @idempotency notificationId
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown notification
 */
export async function markNotificationSent(
  connection: CommonQueryMethods,
  input: { notificationId: number; telegramMessageId?: number | null; actor: Actor },
): Promise<{ changed: boolean; notification: NotificationRow }> {
  return connection.transaction(async (tx) => {
    const sent = await tx.maybeOne(sql.type(notificationRow)`
      UPDATE notifications
      SET status = 'sent', sent_at = now(), attempts = attempts + 1, telegram_message_id = ${input.telegramMessageId ?? null}
      WHERE id = ${input.notificationId} AND status IN ('pending', 'failed')
      RETURNING *
    `);
    if (sent === null) {
      const current = await getNotification(tx, input.notificationId);
      if (current === null) throw new RecordNotFoundError('notification');
      return { changed: false, notification: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'notification.sent',
      entityType: 'notification',
      entityId: sent.id,
      userId: sent.user_id,
    });
    return { changed: true, notification: sent };
  });
}

/**
 * Records a failed delivery attempt of a pending message: attempts + 1 and last_error. With
 * `final: true` (the user blocked the bot, or retries are exhausted) the status becomes 'failed';
 * otherwise it stays 'pending' for the next attempt.
 *
 * @param input.error short reason (truncated to 1000 characters); never a token or message text
 * @returns whether a pending row was updated
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown notification
 */
export async function markNotificationFailed(
  connection: CommonQueryMethods,
  input: { notificationId: number; error: string; final: boolean; actor: Actor },
): Promise<{ changed: boolean; notification: NotificationRow }> {
  return connection.transaction(async (tx) => {
    const failed = await tx.maybeOne(sql.type(notificationRow)`
      UPDATE notifications
      SET attempts = attempts + 1, last_error = ${input.error.slice(0, MAX_ERROR_LENGTH)},
          status = CASE WHEN ${input.final} THEN 'failed' ELSE status END,
          failed_at = CASE WHEN ${input.final} THEN now() ELSE failed_at END
      WHERE id = ${input.notificationId} AND status = 'pending'
      RETURNING *
    `);
    if (failed === null) {
      const current = await getNotification(tx, input.notificationId);
      if (current === null) throw new RecordNotFoundError('notification');
      return { changed: false, notification: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: input.final ? 'notification.failed' : 'notification.attempt_failed',
      entityType: 'notification',
      entityId: failed.id,
      userId: failed.user_id,
      details: { attempts: failed.attempts },
    });
    return { changed: true, notification: failed };
  });
}

/**
 * Pending messages due at `now` (scheduled_at NULL or passed), oldest first.
 *
 * @param limit most rows returned; default 100
 */
export async function listDueNotifications(
  connection: CommonQueryMethods,
  input: { now: Date; limit?: number },
): Promise<readonly NotificationRow[]> {
  return connection.any(sql.type(notificationRow)`
    SELECT * FROM notifications
    WHERE status = 'pending' AND (scheduled_at IS NULL OR scheduled_at <= ${sql.timestamp(input.now)})
    ORDER BY coalesce(scheduled_at, created_at), id
    LIMIT ${input.limit ?? 100}
  `);
}

/**
 * A message that did not reach its user: failed for good (blocked, refused), or still pending
 * after failed attempts with nobody trying for 10 minutes (the worker's retries gave up on an outage).
 */
function undelivered(alias: string) {
  const n = sql.identifier([alias]);
  return sql.fragment`(${n}.status = 'failed' OR (${n}.status = 'pending' AND ${n}.attempts > 0 AND coalesce(${n}.scheduled_at, ${n}.created_at) < now() - interval '10 minutes'))`;
}

/**
 * The user's key messages (of `kinds`) that never reached them, one per subscription: the newest
 * key message of each subscription when it is undelivered (failed: the user had blocked the bot,
 * or Telegram kept refusing; or pending after failed attempts nobody retries), and only for a
 * subscription that is still active with a key. A subscription whose
 * newest key message went through is not listed, however many older ones failed.
 */
export async function listUndeliveredKeyMessages(
  connection: CommonQueryMethods,
  input: { userId: number; kinds: readonly string[] },
): Promise<readonly NotificationRow[]> {
  return connection.any(sql.type(notificationRow)`
    SELECT n.* FROM (
      SELECT DISTINCT ON (data->>'subscriptionId') *
      FROM notifications
      WHERE user_id = ${input.userId} AND type = ANY(${sql.array([...input.kinds], 'text')}) AND data->>'subscriptionId' IS NOT NULL
      ORDER BY data->>'subscriptionId', id DESC
    ) n
    JOIN subscriptions s ON s.id = (n.data->>'subscriptionId')::int
    WHERE ${undelivered('n')} AND s.user_id = ${input.userId} AND s.status = 'active' AND s.vpn_key IS NOT NULL
    ORDER BY n.id
  `);
}

/**
 * Takes an undelivered message back for one more delivery attempt: -> pending, with scheduled_at
 * moved `leaseMs` ahead so no other attempt sends it meanwhile. Exactly one caller gets the row.
 * Finish with markNotificationSent, or markNotificationFailed with `final: true`.
 *
 * @returns the claimed row, or null when it is no longer undelivered (another attempt took it)
 */
export async function reclaimFailedNotification(
  connection: CommonQueryMethods,
  input: { notificationId: number; leaseMs: number },
): Promise<NotificationRow | null> {
  return connection.maybeOne(sql.type(notificationRow)`
    UPDATE notifications n SET status = 'pending', scheduled_at = now() + make_interval(secs => ${input.leaseMs / 1000})
    WHERE id = ${input.notificationId} AND ${undelivered('n')}
    RETURNING *
  `);
}
