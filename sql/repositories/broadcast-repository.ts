/**
 * Broadcasts (migration 0018): audiences, the recipient snapshot, the per-user delivery claims
 * that make "no user messaged twice" a database fact, and progress counts.
 *
 * A delivery goes pending -> sending (claimed, committed before sendMessage) -> sent | blocked |
 * failed | unknown. Only 'pending' rows are ever claimed, so a row left 'sending' by a crash is
 * never sent again: at most once per user.
 */
import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';
import { writeAuditLog, type Actor } from './audit-repository';

/** Who a broadcast goes to. Users who blocked the bot (users.blocked_at) are never included. */
export const BROADCAST_AUDIENCES = ['all', 'active', 'expired', 'trial_only', 'never_paid'] as const;
/** One of {@link BROADCAST_AUDIENCES}. */
export type BroadcastAudience = (typeof BROADCAST_AUDIENCES)[number];

/** Final (or current) state of one delivery. */
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'blocked' | 'failed' | 'unknown';

const broadcastRow = z.object({
  id: z.number().int().positive(),
  audience: z.enum(BROADCAST_AUDIENCES),
  text: z.string(),
  status: z.enum(['running', 'completed', 'cancelled']),
  created_by_telegram_id: z.number().int(),
  request_key: z.string(),
  created_at: z.date(),
  finished_at: z.date().nullable(),
  reported_at: z.date().nullable(),
});
/** A `broadcasts` row. */
export type BroadcastRow = z.infer<typeof broadcastRow>;

const claimedRow = z.object({ id: z.number().int(), user_id: z.number().int(), chat_id: z.number().int() });
/** A delivery claimed for sending. */
export type ClaimedDelivery = z.infer<typeof claimedRow>;

/** Delivery counts of one broadcast, by status. */
export interface DeliveryCounts {
  total: number;
  pending: number;
  sending: number;
  sent: number;
  blocked: number;
  failed: number;
  unknown: number;
}

/** A user who paid: a completed payment (refunded later or not) in any currency or method. */
const PAID = sql.fragment`EXISTS (SELECT 1 FROM payments p WHERE p.user_id = u.id AND p.status IN ('completed', 'refunded'))`;
/** A user with a subscription whose period is running now. */
const ACTIVE = sql.fragment`EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id AND s.status = 'active' AND s.end_date > now())`;

/**
 * The condition on `users u` for an audience (besides "has not blocked the bot"):
 * - all: every user;
 * - active: has a subscription running now;
 * - expired: had a subscription with a period (expired, cancelled, or active past its end) and has none running now;
 * - trial_only: took the free trial and never paid;
 * - never_paid: never completed a payment (trial or not).
 */
export function audienceCondition(audience: BroadcastAudience): FragmentSqlToken {
  switch (audience) {
    case 'all':
      return sql.fragment`true`;
    case 'active':
      return ACTIVE;
    case 'expired':
      return sql.fragment`NOT ${ACTIVE} AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id AND s.end_date IS NOT NULL)`;
    case 'trial_only':
      return sql.fragment`u.trial_used_at IS NOT NULL AND NOT ${PAID}`;
    case 'never_paid':
      return sql.fragment`NOT ${PAID}`;
  }
}

/** How many users an audience reaches now (blocked users excluded). */
export async function countAudience(connection: CommonQueryMethods, audience: BroadcastAudience): Promise<number> {
  return connection.oneFirst(sql.type(z.object({ n: z.number().int() }))`
    SELECT count(*)::int AS n FROM users u WHERE u.blocked_at IS NULL AND ${audienceCondition(audience)}
  `);
}

/** Why {@link createBroadcast} refused. */
export type CreateBroadcastRefusal = 'busy';

/**
 * Creates a running broadcast and snapshots its recipients (the audience now, blocked users
 * excluded) in one transaction, with an audit row. A repeat with the same `requestKey` returns the
 * first call's broadcast (created: false). Refuses with 'busy' while another broadcast runs.
 * @idempotency requestKey
 */
export async function createBroadcast(
  connection: CommonQueryMethods,
  input: { audience: BroadcastAudience; text: string; operatorTelegramId: number; requestKey: string; actor: Actor },
): Promise<{ broadcast: BroadcastRow; created: boolean; recipients: number } | CreateBroadcastRefusal> {
  const existing = await getBroadcastByRequestKey(connection, input.requestKey);
  if (existing !== null) return { broadcast: existing, created: false, recipients: (await countDeliveries(connection, existing.id)).total };
  try {
    return await connection.transaction(async (tx) => {
      const broadcast = await tx.one(sql.type(broadcastRow)`
        INSERT INTO broadcasts (audience, text, created_by_telegram_id, request_key)
        VALUES (${input.audience}, ${input.text}, ${input.operatorTelegramId}, ${input.requestKey})
        RETURNING *
      `);
      const recipients = await tx.oneFirst(sql.type(z.object({ n: z.number().int() }))`
        WITH inserted AS (
          INSERT INTO broadcast_deliveries (broadcast_id, user_id, chat_id)
          SELECT ${broadcast.id}, u.id, u.telegram_id FROM users u
          WHERE u.blocked_at IS NULL AND ${audienceCondition(input.audience)}
          ORDER BY u.id
          ON CONFLICT (broadcast_id, user_id) DO NOTHING
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM inserted
      `);
      await writeAuditLog(tx, {
        actor: input.actor,
        action: 'broadcast.started',
        entityType: 'broadcast',
        entityId: broadcast.id,
        details: { audience: input.audience, recipients, text_length: input.text.length },
      });
      return { broadcast, created: true, recipients };
    });
  } catch (error) {
    if (error instanceof UniqueIntegrityConstraintViolationError && error.constraint === 'broadcasts_one_running') return 'busy';
    if (error instanceof UniqueIntegrityConstraintViolationError && error.constraint === 'broadcasts_request_key_key') {
      const raced = await getBroadcastByRequestKey(connection, input.requestKey);
      if (raced !== null) return { broadcast: raced, created: false, recipients: (await countDeliveries(connection, raced.id)).total };
    }
    throw error;
  }
}

/** Whether the broadcast is still running (not cancelled or finished). */
export async function isBroadcastRunning(connection: CommonQueryMethods, broadcastId: number): Promise<boolean> {
  const row = await connection.maybeOne(
    sql.type(z.object({ id: z.number() }))`SELECT id FROM broadcasts WHERE id = ${broadcastId} AND status = 'running'`,
  );
  return row !== null;
}

/** The broadcast with this id, or null. */
export async function getBroadcast(connection: CommonQueryMethods, broadcastId: number): Promise<BroadcastRow | null> {
  return connection.maybeOne(sql.type(broadcastRow)`SELECT * FROM broadcasts WHERE id = ${broadcastId}`);
}

async function getBroadcastByRequestKey(connection: CommonQueryMethods, requestKey: string): Promise<BroadcastRow | null> {
  return connection.maybeOne(sql.type(broadcastRow)`SELECT * FROM broadcasts WHERE request_key = ${requestKey}`);
}

/** The running broadcast, if any (at most one runs). */
export async function getRunningBroadcast(connection: CommonQueryMethods): Promise<BroadcastRow | null> {
  return connection.maybeOne(sql.type(broadcastRow)`SELECT * FROM broadcasts WHERE status = 'running'`);
}

/**
 * Claims the next pending delivery of a running broadcast (pending -> sending), committed before
 * the caller sends. Null when none is left or the broadcast is no longer running (cancelled).
 * Concurrent callers never get the same row (FOR UPDATE SKIP LOCKED + the status condition).
 */
export async function claimNextDelivery(connection: CommonQueryMethods, broadcastId: number): Promise<ClaimedDelivery | null> {
  return connection.maybeOne(sql.type(claimedRow)`
    UPDATE broadcast_deliveries d SET status = 'sending', claimed_at = now()
    WHERE d.id = (
      SELECT id FROM broadcast_deliveries
      WHERE broadcast_id = ${broadcastId} AND status = 'pending'
      ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
    )
      AND d.status = 'pending'
      AND EXISTS (SELECT 1 FROM broadcasts b WHERE b.id = ${broadcastId} AND b.status = 'running')
    RETURNING d.id, d.user_id, d.chat_id
  `);
}

/**
 * Records a claimed delivery's outcome. From 'sending' (or 'unknown', when a sender presumed dead
 * finishes after all: the truth replaces the guess). A 'blocked' outcome also marks the user.
 */
export async function finishDelivery(
  connection: CommonQueryMethods,
  input: { deliveryId: number; status: 'sent' | 'blocked' | 'failed' | 'unknown'; errorCode?: number | undefined },
): Promise<void> {
  await connection.transaction(async (tx) => {
    const userId = await tx.maybeOneFirst(sql.type(z.object({ user_id: z.number().int() }))`
      UPDATE broadcast_deliveries SET status = ${input.status}, finished_at = now(), error_code = ${input.errorCode ?? null}
      WHERE id = ${input.deliveryId} AND status IN ('sending', 'unknown')
      RETURNING user_id
    `);
    if (userId !== null && input.status === 'blocked') await markUserBlocked(tx, userId);
  });
}

/** Puts a claimed delivery back to pending: Telegram said 429, so the message certainly did not go. */
export async function releaseDelivery(connection: CommonQueryMethods, deliveryId: number): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE broadcast_deliveries SET status = 'pending', claimed_at = NULL WHERE id = ${deliveryId} AND status = 'sending'
  `);
}

/** Records that Telegram answered 403 for this user (blocked the bot); broadcasts skip them. */
export async function markUserBlocked(connection: CommonQueryMethods, userId: number): Promise<void> {
  await connection.query(sql.unsafe`UPDATE users SET blocked_at = now() WHERE id = ${userId} AND blocked_at IS NULL`);
}

/** The user wrote to the bot again: reachable (the bot calls this on any update from a blocked user). */
export async function clearUserBlocked(connection: CommonQueryMethods, userId: number): Promise<void> {
  await connection.query(sql.unsafe`UPDATE users SET blocked_at = NULL WHERE id = ${userId} AND blocked_at IS NOT NULL`);
}

/** Delivery counts of a broadcast, by status. */
export async function countDeliveries(connection: CommonQueryMethods, broadcastId: number): Promise<DeliveryCounts> {
  const rows = await connection.any(sql.type(z.object({ status: z.string(), n: z.number().int() }))`
    SELECT status, count(*)::int AS n FROM broadcast_deliveries WHERE broadcast_id = ${broadcastId} GROUP BY status
  `);
  const counts: DeliveryCounts = { total: 0, pending: 0, sending: 0, sent: 0, blocked: 0, failed: 0, unknown: 0 };
  for (const row of rows) {
    counts.total += row.n;
    if (row.status in counts) counts[row.status as DeliveryStatus] += row.n;
  }
  return counts;
}

/**
 * Stops a running broadcast on an operator's request: no delivery is claimed after this commits
 * (claims check the status), the ones in flight finish. False when it was not running.
 */
export async function cancelBroadcast(connection: CommonQueryMethods, input: { broadcastId: number; actor: Actor }): Promise<boolean> {
  return connection.transaction(async (tx) => {
    const changed = await tx.maybeOne(sql.type(z.object({ id: z.number() }))`
      UPDATE broadcasts SET status = 'cancelled', finished_at = now() WHERE id = ${input.broadcastId} AND status = 'running' RETURNING id
    `);
    if (changed === null) return false;
    await writeAuditLog(tx, { actor: input.actor, action: 'broadcast.cancelled', entityType: 'broadcast', entityId: input.broadcastId });
    return true;
  });
}

/**
 * Ends a broadcast: 'completed' when it was still running, and every delivery still 'sending'
 * (its sender died between claiming and recording: the message may or may not have gone) becomes
 * 'unknown' and is never resent. Call only when no sender of it runs any more.
 */
export async function finishBroadcast(connection: CommonQueryMethods, broadcastId: number): Promise<BroadcastRow> {
  return connection.transaction(async (tx) => {
    await tx.query(sql.unsafe`
      UPDATE broadcast_deliveries SET status = 'unknown', finished_at = now() WHERE broadcast_id = ${broadcastId} AND status = 'sending'
    `);
    await tx.query(
      sql.unsafe`UPDATE broadcasts SET status = 'completed', finished_at = now() WHERE id = ${broadcastId} AND status = 'running'`,
    );
    return tx.one(sql.type(broadcastRow)`SELECT * FROM broadcasts WHERE id = ${broadcastId}`);
  });
}

/** Marks the final report sent; false when it had been marked before. */
export async function markBroadcastReported(connection: CommonQueryMethods, broadcastId: number): Promise<boolean> {
  const row = await connection.maybeOne(sql.type(z.object({ id: z.number() }))`
    UPDATE broadcasts SET reported_at = now() WHERE id = ${broadcastId} AND reported_at IS NULL RETURNING id
  `);
  return row !== null;
}
