import { sql, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError } from '../../lib/errors';
import { subscriptionRow, type SubscriptionRow, type SubscriptionStatus } from '../schemas/subscription-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { claimPaymentApplication } from './payments-repository';

/**
 * Creates a pending subscription (no period, no server yet); its id names the workflow
 * `subscription-{id}`. sub_token is filled by the database.
 *
 * @throws slonik's ForeignKeyIntegrityConstraintViolationError for an unknown user or plan
 */
export async function createPendingSubscription(
  connection: CommonQueryMethods,
  input: { userId: number; planId: number | null; actor: Actor },
): Promise<SubscriptionRow> {
  return connection.transaction(async (tx) => {
    const created = await tx.one(sql.type(subscriptionRow)`
      INSERT INTO subscriptions (user_id, plan_id, status) VALUES (${input.userId}, ${input.planId}, 'pending') RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'subscription.created',
      entityType: 'subscription',
      entityId: created.id,
      userId: created.user_id,
      details: { plan_id: created.plan_id },
    });
    return created;
  });
}

/** The subscription with this id, or null. */
export async function getSubscription(connection: CommonQueryMethods, subscriptionId: number): Promise<SubscriptionRow | null> {
  return connection.maybeOne(sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE id = ${subscriptionId}`);
}

/** The subscription behind a `/sub/<token>` URL, or null. */
export async function getSubscriptionBySubToken(connection: CommonQueryMethods, subToken: string): Promise<SubscriptionRow | null> {
  return connection.maybeOne(sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE sub_token = ${subToken}`);
}

/** A user's subscriptions, newest first. */
export async function listUserSubscriptions(connection: CommonQueryMethods, userId: number): Promise<readonly SubscriptionRow[]> {
  return connection.any(sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE user_id = ${userId} ORDER BY id DESC`);
}

/**
 * Moves the period by `days` and records 'subscription.extended' (with `details`, the days and
 * the new end) in the same transaction. The one way both extension paths change a period.
 */
async function extendWithAudit(
  tx: CommonQueryMethods,
  input: { subscriptionId: number; days: number; seconds?: number; actor: Actor },
  details: Record<string, unknown>,
): Promise<SubscriptionRow> {
  const extended = await movePeriod(tx, input.subscriptionId, input);
  await writeAuditLog(tx, {
    actor: input.actor,
    action: 'subscription.extended',
    entityType: 'subscription',
    entityId: extended.id,
    userId: extended.user_id,
    details: {
      ...details,
      days: input.days,
      ...(input.seconds === undefined ? {} : { seconds: input.seconds }),
      end_date: extended.end_date?.toISOString() ?? null,
    },
  });
  return extended;
}

/**
 * Applies a completed payment to its subscription, exactly once per payment: claims the payment's
 * applied_at and moves the period in the same transaction. An active subscription that has not
 * ended is extended from its end_date; a pending or expired one starts now. A cancelled one is left
 * alone (and the payment stays unapplied, for a refund).
 *
 * @param input.days period length in days (the plan's duration_days), > 0
 * @param input.seconds when set, the period in seconds instead (a plan's duration_seconds), > 0
 * @idempotency paymentId
 * @returns whether this call applied it, and the current row
 * @throws RangeError for days <= 0 or seconds <= 0; RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function extendSubscriptionWithPayment(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; paymentId: number; days: number; seconds?: number; actor: Actor },
): Promise<{ applied: boolean; subscription: SubscriptionRow }> {
  requirePeriod(input);
  return connection.transaction(async (tx) => {
    const current = await lockSubscription(tx, input.subscriptionId);
    if (current.status === 'cancelled') return { applied: false, subscription: current };
    const payment = await claimPaymentApplication(tx, {
      paymentId: input.paymentId,
      subscriptionId: input.subscriptionId,
      actor: input.actor,
    });
    if (payment === null) return { applied: false, subscription: current };

    return { applied: true, subscription: await extendWithAudit(tx, input, { payment_id: input.paymentId }) };
  });
}

/** @throws RangeError unless days is a positive whole number and seconds, when set, too */
function requirePeriod(period: { days: number; seconds?: number }): void {
  if (!Number.isSafeInteger(period.days) || period.days <= 0) throw new RangeError('days must be a positive whole number');
  if (period.seconds !== undefined && (!Number.isSafeInteger(period.seconds) || period.seconds <= 0))
    throw new RangeError('seconds must be a positive whole number');
}

/**
 * Adds the period (`seconds` when set, else `days`) to it: from end_date while active and not
 * ended, from now otherwise (pending or expired start now); the status becomes active. The caller
 * holds the row lock.
 */
async function movePeriod(
  tx: CommonQueryMethods,
  subscriptionId: number,
  period: { days: number; seconds?: number },
): Promise<SubscriptionRow> {
  const interval =
    period.seconds === undefined
      ? sql.fragment`make_interval(days => ${period.days})`
      : sql.fragment`make_interval(secs => ${period.seconds})`;
  return tx.one(sql.type(subscriptionRow)`
    UPDATE subscriptions SET
      start_date = CASE WHEN status = 'active' AND end_date > now() THEN start_date ELSE now() END,
      end_date = CASE WHEN status = 'active' AND end_date > now() THEN end_date ELSE now() END
                 + ${interval},
      status = 'active'
    WHERE id = ${subscriptionId}
    RETURNING *
  `);
}

/**
 * The subscription row, locked FOR UPDATE until the caller's transaction ends. Call it first in a
 * transaction that changes the subscription and money or the user (lock order: subscription,
 * then user, then server), so concurrent changes of one subscription run one at a time.
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function lockSubscription(connection: CommonQueryMethods, subscriptionId: number): Promise<SubscriptionRow> {
  const row = await connection.maybeOne(sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE id = ${subscriptionId} FOR UPDATE`);
  if (row === null) throw new RecordNotFoundError('subscription');
  return row;
}

/**
 * Extends a subscription by `days` without a payment (free trial, operator extension), exactly
 * once per `requestKey`, with the payment rule (from end_date while active, else from now).
 * A cancelled subscription is left alone.
 *
 * Why audit_logs is the fence: a trial or an operator extension has no row of its own (a payment
 * has applied_at). Its audit row (details.request_key) commits with the change, so "the row
 * exists" is exactly "the change committed", and the check runs under the subscription's row lock.
 *
 * @param input.seconds when set, the period in seconds instead of `days` (a trial on a bench)
 * @param input.requestKey e.g. `trial:<userId>` or `extend:<requestId>`, 1..200 characters
 * @idempotency subscriptionId+requestKey
 * @returns whether this call extended it, and the current row
 * @throws RangeError for days <= 0 or an empty or over-long key; RecordNotFoundError (NOT_FOUND)
 */
export async function extendSubscriptionByDays(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; days: number; seconds?: number; requestKey: string; reason: 'trial' | 'operator'; actor: Actor },
): Promise<{ applied: boolean; subscription: SubscriptionRow }> {
  requirePeriod(input);
  if (input.requestKey === '' || input.requestKey.length > 200) throw new RangeError('requestKey must be 1..200 characters');
  return connection.transaction(async (tx) => {
    const current = await lockSubscription(tx, input.subscriptionId);
    if (current.status === 'cancelled') return { applied: false, subscription: current };
    const seen = await tx.exists(sql.unsafe`
      SELECT 1 FROM audit_logs
      WHERE entity_type = 'subscription' AND entity_id = ${input.subscriptionId}
        AND action = 'subscription.extended' AND details->>'request_key' = ${input.requestKey}
    `);
    if (seen) return { applied: false, subscription: current };
    return { applied: true, subscription: await extendWithAudit(tx, input, { request_key: input.requestKey, reason: input.reason }) };
  });
}

/** The 3X-UI client a subscription uses and what the user imports (VLESS link, QR code). */
export interface SubscriptionClient {
  xuiClientUuid: string;
  xuiEmail: string;
  xuiSubId: string | null;
  xuiInboundId: number;
  vpnKey: string;
  qrCode: string | null;
}

/** The SET assignments that record `client` on a subscriptions row. */
export function subscriptionClientAssignment(client: SubscriptionClient) {
  return sql.fragment`
    xui_client_uuid = ${client.xuiClientUuid}::uuid, xui_email = ${client.xuiEmail}, xui_sub_id = ${client.xuiSubId},
    xui_inbound_id = ${client.xuiInboundId}, vpn_key = ${client.vpnKey}, qr_code = ${client.qrCode}
  `;
}

/**
 * Records the 3X-UI client the provisioning activity created and what the user imports
 * (VLESS link, QR code as a data URL or base64 PNG).
 *
 * @idempotency subscriptionId: writing the same values again changes nothing visible
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown subscription; slonik's
 *   UniqueIntegrityConstraintViolationError when another subscription has the uuid, email or sub id
 */
export async function setSubscriptionClient(
  connection: CommonQueryMethods,
  input: SubscriptionClient & { subscriptionId: number; actor: Actor },
): Promise<SubscriptionRow> {
  return connection.transaction(async (tx) => {
    const row = await tx.maybeOne(sql.type(subscriptionRow)`
      UPDATE subscriptions SET ${subscriptionClientAssignment(input)}
      WHERE id = ${input.subscriptionId}
      RETURNING *
    `);
    if (row === null) throw new RecordNotFoundError('subscription');
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'subscription.client_set',
      entityType: 'subscription',
      entityId: row.id,
      userId: row.user_id,
      details: { server_id: row.server_id, xui_email: row.xui_email, xui_inbound_id: row.xui_inbound_id },
    });
    return row;
  });
}

async function transition(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; actor: Actor },
  to: Exclude<SubscriptionStatus, 'pending'>,
  from: readonly SubscriptionStatus[],
  guard: ReturnType<typeof sql.fragment>,
): Promise<{ changed: boolean; subscription: SubscriptionRow }> {
  return connection.transaction(async (tx) => {
    const changed = await tx.maybeOne(sql.type(subscriptionRow)`
      UPDATE subscriptions SET status = ${to}::text
      WHERE id = ${input.subscriptionId} AND status = ANY(${sql.array(from, 'text')}) AND ${guard}
      RETURNING *
    `);
    if (changed === null) {
      const current = await getSubscription(tx, input.subscriptionId);
      if (current === null) throw new RecordNotFoundError('subscription');
      return { changed: false, subscription: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `subscription.${to}`,
      entityType: 'subscription',
      entityId: changed.id,
      userId: changed.user_id,
    });
    return { changed: true, subscription: changed };
  });
}

/**
 * active -> expired, only once the period has ended (a renewal that landed first wins).
 * Release the server slot in the same transaction (releaseServerSlot).
 *
 * @param input.endsAt the end the caller's timer was for: the row expires when its end_date is at or
 *   before it. Workflows pass it so the decision follows their clock, not the database's (a few ms
 *   of skew must not leave an ended period active). Without it, the database clock decides.
 * @idempotency subscriptionId
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function markSubscriptionExpired(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; actor: Actor; endsAt?: Date },
): Promise<{ changed: boolean; subscription: SubscriptionRow }> {
  // Compared at millisecond precision: the caller's end is a JS Date, end_date has microseconds.
  const guard =
    input.endsAt === undefined
      ? sql.fragment`end_date <= now()`
      : sql.fragment`date_trunc('milliseconds', end_date) <= ${sql.timestamp(input.endsAt)}`;
  return transition(connection, input, 'expired', ['active'], guard);
}

/**
 * Whether an extension without a payment (trial, operator) with this request key committed on the
 * subscription (its 'subscription.extended' audit row), for results recorded before period_changes.
 */
export async function hasExtension(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; requestKey: string },
): Promise<boolean> {
  return connection.exists(sql.unsafe`
    SELECT 1 FROM audit_logs
    WHERE entity_type = 'subscription' AND entity_id = ${input.subscriptionId}
      AND action = 'subscription.extended' AND details->>'request_key' = ${input.requestKey}
  `);
}

/**
 * pending | active -> cancelled (operator or user). The period is kept as it was.
 *
 * @idempotency subscriptionId
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function cancelSubscription(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; actor: Actor },
): Promise<{ changed: boolean; subscription: SubscriptionRow }> {
  return transition(connection, input, 'cancelled', ['pending', 'active'], sql.fragment`true`);
}

/**
 * Replaces the subscription URL token (the old `/sub/<token>` stops working), e.g. after a leak.
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function rotateSubToken(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; actor: Actor },
): Promise<SubscriptionRow> {
  return connection.transaction(async (tx) => {
    const row = await tx.maybeOne(sql.type(subscriptionRow)`
      UPDATE subscriptions SET sub_token = new_sub_token() WHERE id = ${input.subscriptionId} RETURNING *
    `);
    if (row === null) throw new RecordNotFoundError('subscription');
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'subscription.sub_token_rotated',
      entityType: 'subscription',
      entityId: row.id,
      userId: row.user_id,
    });
    return row;
  });
}

/**
 * Subscriptions whose panel client lives on a server (server_id = serverId and a client email
 * recorded), whatever their status: expired ones keep a disabled client there. By id.
 */
export async function listServerClientSubscriptions(
  connection: CommonQueryMethods,
  input: { serverId: number },
): Promise<readonly SubscriptionRow[]> {
  return connection.any(sql.type(subscriptionRow)`
    SELECT * FROM subscriptions WHERE server_id = ${input.serverId} AND xui_email IS NOT NULL ORDER BY id
  `);
}

/**
 * Stores traffic counters read from a panel (bytes: upload and download apart, traffic_used their
 * sum), in one statement; rows whose values are unchanged are not touched. No audit row: the
 * counter mirrors the panel's own (the source of truth, re-read on every sync), nobody causes its
 * change, and auditing each sync would bury the audit log under bookkeeping; the same reasoning as
 * recordServerHealth's heartbeats.
 *
 * @param input.entries at most one entry per subscription; bytes are non-negative safe integers
 * @returns how many rows changed
 * @throws RangeError for a negative or non-integer byte count
 */
export async function updateTrafficUsed(
  connection: CommonQueryMethods,
  input: { entries: ReadonlyArray<{ subscriptionId: number; up: number; down: number }> },
): Promise<number> {
  if (input.entries.length === 0) return 0;
  for (const entry of input.entries) {
    for (const bytes of [entry.up, entry.down, entry.up + entry.down]) {
      if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError('traffic bytes must be non-negative integers');
    }
  }
  const ids = input.entries.map((entry) => entry.subscriptionId);
  const ups = input.entries.map((entry) => entry.up);
  const downs = input.entries.map((entry) => entry.down);
  const result = await connection.query(sql.unsafe`
    UPDATE subscriptions AS s SET traffic_up = v.up, traffic_down = v.down, traffic_used = v.up + v.down
    FROM unnest(${sql.array(ids, 'int4')}, ${sql.array(ups, 'int8')}, ${sql.array(downs, 'int8')}) AS v(id, up, down)
    WHERE s.id = v.id AND (s.traffic_up, s.traffic_down, s.traffic_used) IS DISTINCT FROM (v.up, v.down, v.up + v.down)
  `);
  return result.rowCount;
}
