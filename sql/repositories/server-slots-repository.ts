import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { RecordNotFoundError, ServerFullError } from '../../lib/errors';
import { subscriptionRow } from '../schemas/subscription-row';
import { vpnServerRow, type VpnServerRow } from '../schemas/vpn-server-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { eligibleServer, takeEligibleServerSlot } from './server-eligibility';
import { releaseMoveTarget } from './server-moves-repository';

/*
 * Slot accounting: vpn_servers.current_users counts the subscriptions whose server_slot_held is true
 * for that server. Claiming and releasing change both in one transaction, after locking the
 * subscription row (lock order everywhere: subscription, then server, so no deadlock).
 *
 * Why no two subscriptions can take the last slot: the increment is
 *   UPDATE vpn_servers SET current_users = current_users + 1 WHERE id = <pick> AND current_users < max_users
 * Postgres re-evaluates the WHERE clause on the newest row version after waiting for a concurrent
 * writer's lock, so once one transaction has taken the last slot every other one finds
 * current_users = max_users and updates nothing (and the CHECK current_users <= max_users would
 * reject it anyway). The pick itself uses FOR UPDATE without SKIP LOCKED: SKIP LOCKED would make
 * claimers skip a server that merely has a concurrent claim in flight and report "full" while
 * slots remain; plain FOR UPDATE waits, re-checks and moves on to the next candidate.
 *
 * A two-phase move (server-moves-repository.ts) also counts: while subscriptions.move_target_server_id
 * is set, the target's current_users includes the subscription too.
 */

const serverId = z.object({ id: z.number().int() });

/**
 * Gives the subscription a slot: on `preferServerId` when it is eligible ({@link eligibleServer}: e.g.
 * the server an expired subscription lived on, so its key keeps working), else on the least-loaded
 * eligible server (lowest current_users / max_users, then fewest users, then lowest id).
 * Sets subscriptions.server_id and server_slot_held in the same transaction; when that moves
 * server_id to another server, clears xui_inbound_id (it named the inbound on the old server's
 * panel; provisioning records the new one).
 *
 * @param input.requirePanel only servers whose panel is configured (provisioning passes true)
 * @idempotency subscriptionId: a subscription already holding a slot gets its server back, unchanged
 * @returns the server and whether this call claimed a new slot
 * @throws ServerFullError (SERVER_FULL, retryable) when no server has room;
 *   RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function claimServerSlot(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; preferServerId?: number | null; requirePanel?: boolean; actor: Actor },
): Promise<{ claimed: boolean; server: VpnServerRow }> {
  return connection.transaction(async (tx) => {
    const subscription = await tx.maybeOne(sql.type(subscriptionRow)`
      SELECT * FROM subscriptions WHERE id = ${input.subscriptionId} FOR UPDATE
    `);
    if (subscription === null) throw new RecordNotFoundError('subscription');
    if (subscription.server_slot_held && subscription.server_id !== null) {
      const held = await tx.one(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${subscription.server_id}`);
      return { claimed: false, server: held };
    }

    const server = await takeEligibleServerSlot(tx, {
      requirePanel: input.requirePanel ?? false,
      preferServerId: input.preferServerId ?? null,
    });
    if (server === null) throw new ServerFullError();

    await tx.query(sql.unsafe`
      UPDATE subscriptions
      SET server_id = ${server.id}, server_slot_held = true,
          xui_inbound_id = CASE WHEN server_id = ${server.id} THEN xui_inbound_id END
      WHERE id = ${subscription.id}
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.slot_claimed',
      entityType: 'subscription',
      entityId: subscription.id,
      userId: subscription.user_id,
      details: { server_id: server.id, current_users: server.current_users, max_users: server.max_users },
    });
    return { claimed: true, server };
  });
}

/**
 * Gives the subscription's slot back to its server (expiry, cancellation, or a provisioning that
 * failed on a dead server). server_id is kept, naming the server the client lived on. A move still
 * in progress is abandoned too (its slot on the target given back, releaseMoveTarget), so nothing
 * that ends a subscription leaves a slot counted.
 *
 * @idempotency subscriptionId: releasing a subscription that holds no slot changes nothing
 * @returns whether this call released a slot (the server_id one)
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown subscription
 */
export async function releaseServerSlot(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; actor: Actor },
): Promise<{ released: boolean }> {
  return connection.transaction(async (tx) => {
    const subscription = await tx.maybeOne(sql.type(subscriptionRow)`
      SELECT * FROM subscriptions WHERE id = ${input.subscriptionId} FOR UPDATE
    `);
    if (subscription === null) throw new RecordNotFoundError('subscription');
    if (subscription.move_target_server_id !== null) await releaseMoveTarget(tx, { subscriptionId: subscription.id, actor: input.actor });
    if (!subscription.server_slot_held || subscription.server_id === null) return { released: false };

    await tx.query(sql.unsafe`
      UPDATE vpn_servers SET current_users = current_users - 1 WHERE id = ${subscription.server_id}
    `);
    await tx.query(sql.unsafe`UPDATE subscriptions SET server_slot_held = false WHERE id = ${subscription.id}`);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.slot_released',
      entityType: 'subscription',
      entityId: subscription.id,
      userId: subscription.user_id,
      details: { server_id: subscription.server_id },
    });
    return { released: true };
  });
}

/**
 * Subscriptions holding a slot on a server, by id (failover moves them elsewhere).
 */
export async function listSlotHolders(connection: CommonQueryMethods, input: { serverId: number }): Promise<readonly number[]> {
  return connection.anyFirst(sql.type(serverId)`
    SELECT id FROM subscriptions WHERE server_id = ${input.serverId} AND server_slot_held ORDER BY id
  `);
}

const slotMismatch = z.object({
  server_id: z.number().int(),
  current_users: z.number().int(),
  holding: z.number().int(),
  moving_in: z.number().int(),
});

/** A server whose current_users disagrees with the subscriptions counted on it. */
export type SlotMismatch = z.infer<typeof slotMismatch>;

/**
 * Servers whose current_users is not the number of subscriptions holding a slot there plus those
 * a two-phase move is bringing there (move_target_server_id), by id. Empty when slot accounting is
 * sound; the invariant checker reports anything else.
 *
 * @idempotency read-only
 */
export async function listSlotCountMismatches(connection: CommonQueryMethods): Promise<readonly SlotMismatch[]> {
  return connection.any(sql.type(slotMismatch)`
    SELECT v.id AS server_id, v.current_users,
           (SELECT count(*) FROM subscriptions s WHERE s.server_id = v.id AND s.server_slot_held)::int AS holding,
           (SELECT count(*) FROM subscriptions s WHERE s.move_target_server_id = v.id)::int AS moving_in
    FROM vpn_servers v
    WHERE v.current_users <> (SELECT count(*) FROM subscriptions s WHERE s.server_id = v.id AND s.server_slot_held)
                           + (SELECT count(*) FROM subscriptions s WHERE s.move_target_server_id = v.id)
    ORDER BY v.id
  `);
}
