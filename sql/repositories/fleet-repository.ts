/**
 * Queries of the fleet jobs (health probe, failover, traffic sync, panel reconciler): which
 * servers to visit, which servers must fail over, which subscriptions live on a server.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { RecordNotFoundError } from '../../lib/errors';
import { subscriptionRow, type SubscriptionRow } from '../schemas/subscription-row';
import { vpnServerRow } from '../schemas/vpn-server-row';
import { writeAuditLog, type Actor } from './audit-repository';

const idRow = z.object({ id: z.number().int() });

/**
 * Ids of the servers that have a panel URL, by id; with `activeOnly`, only those open for new
 * subscriptions (is_active).
 */
export async function listPanelServerIds(connection: CommonQueryMethods, filter: { activeOnly: boolean }): Promise<readonly number[]> {
  return connection.anyFirst(sql.type(idRow)`
    SELECT id FROM vpn_servers
    WHERE xui_panel_url IS NOT NULL AND xui_panel_url <> '' AND (NOT ${filter.activeOnly}::boolean OR is_active)
    ORDER BY id
  `);
}

/**
 * Servers that must fail over: active (failover deactivates a server, so an episode is handled
 * once), probed down for at least `downForSeconds` (measured on the database clock from
 * down_since), and still holding at least one active subscription. By id.
 *
 * @param input.downForSeconds positive whole seconds
 * @throws RangeError for a non-positive or fractional threshold
 */
export async function listFailoverCandidates(
  connection: CommonQueryMethods,
  input: { downForSeconds: number },
): Promise<readonly number[]> {
  if (!Number.isSafeInteger(input.downForSeconds) || input.downForSeconds <= 0)
    throw new RangeError('downForSeconds must be a positive whole number');
  return connection.anyFirst(sql.type(idRow)`
    SELECT v.id FROM vpn_servers v
    WHERE v.is_active AND v.status = 'down' AND v.down_since IS NOT NULL
      AND v.down_since <= now() - make_interval(secs => ${input.downForSeconds})
      AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.server_id = v.id AND s.status = 'active')
    ORDER BY v.id
  `);
}

/** Ids of the active subscriptions whose client lives on a server (server_id), by id. */
export async function listActiveSubscriptionIdsOnServer(
  connection: CommonQueryMethods,
  input: { serverId: number },
): Promise<readonly number[]> {
  return connection.anyFirst(sql.type(idRow)`
    SELECT id FROM subscriptions WHERE server_id = ${input.serverId} AND status = 'active' ORDER BY id
  `);
}

/**
 * Closes a server to new subscriptions because it failed over. Audited (`server.deactivated`,
 * with the reason and down_since) only when this call changed it, so repeating it adds nothing.
 *
 * @idempotency serverId
 * @returns whether this call deactivated it
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function deactivateServerForFailover(
  connection: CommonQueryMethods,
  input: { serverId: number; actor: Actor },
): Promise<{ changed: boolean }> {
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET is_active = false, closed_reason = 'failover' WHERE id = ${input.serverId} AND is_active RETURNING *
    `);
    if (server === null) {
      const exists = await tx.maybeOne(sql.type(idRow)`SELECT id FROM vpn_servers WHERE id = ${input.serverId}`);
      if (exists === null) throw new RecordNotFoundError('server');
      return { changed: false };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.deactivated',
      entityType: 'vpn_server',
      entityId: server.id,
      details: { reason: 'failover', down_since: server.down_since?.toISOString() ?? null, error: server.last_health_error },
    });
    return { changed: true };
  });
}

/** The subscriptions with these ids (absent ids are skipped), by id. */
export async function listSubscriptionsByIds(connection: CommonQueryMethods, ids: readonly number[]): Promise<readonly SubscriptionRow[]> {
  if (ids.length === 0) return [];
  return connection.any(sql.type(subscriptionRow)`
    SELECT * FROM subscriptions WHERE id = ANY(${sql.array(ids, 'int8')}) ORDER BY id
  `);
}

/**
 * Every subscription placed on a server (server_id), whatever its status and whether or not its
 * client identity is recorded yet, by id: the database side of the panel reconciler.
 */
export async function listSubscriptionsOnServer(
  connection: CommonQueryMethods,
  input: { serverId: number },
): Promise<readonly SubscriptionRow[]> {
  return connection.any(sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE server_id = ${input.serverId} ORDER BY id`);
}

/**
 * Another subscription (not `exceptSubscriptionId`) whose recorded client email or uuid is this
 * one, if any: a client such a subscription owns is never deleted as someone else's leftover.
 */
export async function findOtherSubscriptionOwningClient(
  connection: CommonQueryMethods,
  input: { email: string; uuid: string | null; exceptSubscriptionId: number },
): Promise<number | null> {
  return connection.maybeOneFirst(sql.type(idRow)`
    SELECT id FROM subscriptions
    WHERE id <> ${input.exceptSubscriptionId}
      AND (xui_email = ${input.email} OR (${input.uuid}::uuid IS NOT NULL AND xui_client_uuid = ${input.uuid}::uuid))
    ORDER BY id LIMIT 1
  `);
}
