/**
 * Queries of the panel import (usecases/import-panel.ts): taking clients already on an operator's
 * panel into the product as active subscriptions on the server row that sells their inbound.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { subscriptionRow, type SubscriptionRow } from '../schemas/subscription-row';
import { userRow, type UserRow } from '../schemas/user-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** The audit action of an imported subscription; re-runs look for it. */
export const IMPORTED_ACTION = 'subscription.imported';

/** The subscription that records this client email or uuid, if any. */
export async function findSubscriptionByClient(
  connection: CommonQueryMethods,
  input: { email: string; uuid: string },
): Promise<SubscriptionRow | null> {
  return connection.maybeOne(sql.type(subscriptionRow)`
    SELECT * FROM subscriptions WHERE xui_email = ${input.email} OR xui_client_uuid = ${input.uuid}::uuid ORDER BY id LIMIT 1
  `);
}

/** The user whose Telegram username is this one (case-insensitive, without '@'), if exactly one. */
export async function findUserByUsername(connection: CommonQueryMethods, username: string): Promise<UserRow | null> {
  const rows = await connection.any(sql.type(userRow)`SELECT * FROM users WHERE lower(username) = lower(${username}) LIMIT 2`);
  return rows.length === 1 ? (rows[0] ?? null) : null;
}

/** Whether the subscription was created by an import (it has the import's audit row). */
export async function wasImported(connection: CommonQueryMethods, subscriptionId: number): Promise<boolean> {
  return connection.exists(sql.type(z.object({ id: z.number() }))`
    SELECT id FROM audit_logs WHERE action = ${IMPORTED_ACTION} AND entity_type = 'subscription' AND entity_id = ${subscriptionId}
  `);
}

/**
 * Records a client found on a panel as an active subscription placed on `serverId` (one slot
 * taken), its identity recorded so the same key keeps working. Audited `subscription.imported`.
 *
 * @returns the subscription, or null when the server has no room left (nothing written)
 * @throws slonik's UniqueIntegrityConstraintViolationError when another subscription records the
 *   email or uuid (a concurrent import)
 */
export async function insertImportedSubscription(
  connection: CommonQueryMethods,
  input: {
    userId: number;
    planId: number;
    serverId: number;
    inboundId: number;
    email: string;
    uuid: string;
    subId: string | null;
    endsAt: Date;
    actor: Actor;
  },
): Promise<SubscriptionRow | null> {
  return connection.transaction(async (tx) => {
    const slot = await tx.maybeOne(sql.type(z.object({ id: z.number() }))`
      UPDATE vpn_servers SET current_users = current_users + 1 WHERE id = ${input.serverId} AND current_users < max_users RETURNING id
    `);
    if (slot === null) return null;
    const subscription = await tx.one(sql.type(subscriptionRow)`
      INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date, server_id, server_slot_held,
                                 xui_client_uuid, xui_email, xui_sub_id, xui_inbound_id)
      VALUES (${input.userId}, ${input.planId}, 'active', now(), ${input.endsAt.toISOString()}, ${input.serverId}, true,
              ${input.uuid}::uuid, ${input.email},
              -- Clients of one user may share a subId on the panel; the column is unique.
              (SELECT ${input.subId}::text WHERE NOT EXISTS (SELECT 1 FROM subscriptions WHERE xui_sub_id = ${input.subId}::text)),
              ${input.inboundId})
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: IMPORTED_ACTION,
      entityType: 'subscription',
      entityId: subscription.id,
      userId: input.userId,
      details: {
        server_id: input.serverId,
        inbound_id: input.inboundId,
        email: input.email,
        ends_at: input.endsAt.toISOString(),
        plan_id: input.planId,
      },
    });
    return subscription;
  });
}
