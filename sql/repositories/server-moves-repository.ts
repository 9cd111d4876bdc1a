/**
 * Two-phase moves of a subscription's client between servers (migration 0012):
 *   1. reserveMoveTarget: a slot on the target is taken and named in move_target_server_id; the
 *      row still points at the old server, whose client keeps working;
 *   2. (the caller makes the client live on the target's panel);
 *   3. completeMove: one transaction switches server_id to the target, holds its slot, gives the
 *      old slot back and records the new client;
 *   4. (the caller removes the old client).
 * A crash between any two steps leaves the row naming a server whose client is live. A move that
 * cannot go on gives its reserved slot back with releaseMoveTarget. Lock order as everywhere:
 * subscription row first, then servers.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError, ServerFullError, SubscriptionStateError } from '../../lib/errors';
import { subscriptionRow, type SubscriptionRow } from '../schemas/subscription-row';
import { vpnServerRow, type VpnServerRow } from '../schemas/vpn-server-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { eligibleServer, takeEligibleServerSlot } from './server-eligibility';
import { subscriptionClientAssignment, type SubscriptionClient } from './subscriptions-repository';

async function lockRow(tx: CommonQueryMethods, subscriptionId: number): Promise<SubscriptionRow> {
  const row = await tx.maybeOne(sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE id = ${subscriptionId} FOR UPDATE`);
  if (row === null) throw new RecordNotFoundError('subscription');
  return row;
}

/**
 * Phase 1: takes a slot for the subscription on another eligible server ({@link eligibleServer},
 * never `fromServerId`), `preferServerId` when it is eligible, else the least loaded, and records
 * it as the move's target. The subscription keeps its server and slot.
 *
 * @idempotency subscriptionId: a move already under way gets its target back, nothing taken twice
 * @returns the target server and whether this call reserved it
 * @throws SubscriptionStateError (SUBSCRIPTION_STATE_INVALID) when the subscription does not live on
 *   `fromServerId` any more; ServerFullError (SERVER_FULL, retryable) when no other server can take
 *   it; RecordNotFoundError (NOT_FOUND)
 */
export async function reserveMoveTarget(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; fromServerId: number; preferServerId?: number | null; requirePanel?: boolean; actor: Actor },
): Promise<{ reserved: boolean; server: VpnServerRow }> {
  return connection.transaction(async (tx) => {
    const row = await lockRow(tx, input.subscriptionId);
    if (row.server_id !== input.fromServerId)
      throw new SubscriptionStateError(`subscription ${row.id} does not live on server ${input.fromServerId}`);
    if (row.move_target_server_id !== null) {
      return {
        reserved: false,
        server: await tx.one(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${row.move_target_server_id}`),
      };
    }
    const server = await takeEligibleServerSlot(tx, {
      requirePanel: input.requirePanel ?? false,
      preferServerId: input.preferServerId ?? null,
      excludeServerId: input.fromServerId,
    });
    if (server === null) throw new ServerFullError();
    await tx.query(sql.unsafe`UPDATE subscriptions SET move_target_server_id = ${server.id} WHERE id = ${row.id}`);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.move_slot_reserved',
      entityType: 'subscription',
      entityId: row.id,
      userId: row.user_id,
      details: {
        from_server_id: input.fromServerId,
        server_id: server.id,
        current_users: server.current_users,
        max_users: server.max_users,
      },
    });
    return { reserved: true, server };
  });
}

/**
 * Abandons a move under way: gives the slot reserved on its target back and clears the target.
 * The subscription keeps its server, slot and live client. A client already made on the target is
 * left to the panel reconciler (the row no longer names that server).
 *
 * @idempotency subscriptionId: without a move under way nothing changes
 * @returns the abandoned target, or null when there was none
 * @throws RecordNotFoundError (NOT_FOUND)
 */
export async function releaseMoveTarget(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; actor: Actor },
): Promise<{ released: boolean; serverId: number | null }> {
  return connection.transaction(async (tx) => {
    const row = await lockRow(tx, input.subscriptionId);
    const target = row.move_target_server_id;
    if (target === null) return { released: false, serverId: null };
    await tx.query(sql.unsafe`UPDATE vpn_servers SET current_users = current_users - 1 WHERE id = ${target}`);
    await tx.query(sql.unsafe`UPDATE subscriptions SET move_target_server_id = NULL WHERE id = ${row.id}`);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.move_slot_released',
      entityType: 'subscription',
      entityId: row.id,
      userId: row.user_id,
      details: { server_id: target },
    });
    return { released: true, serverId: target };
  });
}

/**
 * Phase 3, in one transaction: the subscription now lives on its move's target (server_id, slot
 * held there, the reserved slot becomes that slot), the old server's slot is given back, and the
 * new client's identity, inbound, key and QR are recorded. Audited once (`subscription.moved`).
 * Call it only once the client on the target is live.
 *
 * @idempotency subscriptionId+toServerId: once switched, a repeat changes nothing
 * @returns whether this call switched it, and the row
 * @throws SubscriptionStateError (SUBSCRIPTION_STATE_INVALID) when no move to `toServerId` is under
 *   way (it was abandoned); RecordNotFoundError (NOT_FOUND)
 */
export async function completeMove(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; toServerId: number; client: SubscriptionClient; actor: Actor },
): Promise<{ switched: boolean; subscription: SubscriptionRow }> {
  return connection.transaction(async (tx) => {
    const row = await lockRow(tx, input.subscriptionId);
    if (row.server_id === input.toServerId && row.server_slot_held && row.move_target_server_id === null)
      return { switched: false, subscription: row };
    if (row.move_target_server_id !== input.toServerId) {
      throw new SubscriptionStateError(`subscription ${row.id} has no move to server ${input.toServerId} under way`);
    }
    const releasedOld = row.server_slot_held && row.server_id !== null;
    if (releasedOld) await tx.query(sql.unsafe`UPDATE vpn_servers SET current_users = current_users - 1 WHERE id = ${row.server_id}`);
    const { client } = input;
    const moved = await tx.one(sql.type(subscriptionRow)`
      UPDATE subscriptions SET
        server_id = ${input.toServerId}, server_slot_held = true, move_target_server_id = NULL,
        ${subscriptionClientAssignment(client)}
      WHERE id = ${row.id}
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'subscription.moved',
      entityType: 'subscription',
      entityId: row.id,
      userId: row.user_id,
      details: {
        from_server_id: row.server_id,
        to_server_id: input.toServerId,
        old_slot_released: releasedOld,
        xui_inbound_id: client.xuiInboundId,
      },
    });
    return { switched: true, subscription: moved };
  });
}
