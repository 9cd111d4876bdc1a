import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { auditLogRow, type AuditActorType, type AuditLogRow } from '../schemas/audit-log-row';

const auditCount = z.object({ count: z.number().int() });

/**
 * Who caused a change. Stored as `audit_logs.actor` plus `actor_id`:
 * the user's id, the provider's name, the operator's Telegram id, or the system component.
 */
export type Actor =
  | { type: 'user'; userId: number }
  | { type: 'provider_webhook'; provider: string }
  | { type: 'operator'; telegramId: number }
  | { type: 'system'; component: string };

/** One audit entry. `userId` is the end user the change concerns, when there is one. */
export interface AuditEntry {
  actor: Actor;
  /** Dotted verb, e.g. 'payment.completed', 'server.slot_claimed'. */
  action: string;
  entityType: string;
  entityId: number;
  userId?: number | null;
  /** Extra facts (ids, amounts, from/to statuses). Never secrets or message text. */
  details?: Record<string, unknown>;
  ipAddress?: string | null;
  userAgent?: string | null;
}

function actorColumns(actor: Actor): { type: AuditActorType; id: string } {
  switch (actor.type) {
    case 'user':
      return { type: 'user', id: String(actor.userId) };
    case 'provider_webhook':
      return { type: 'provider_webhook', id: actor.provider };
    case 'operator':
      return { type: 'operator', id: String(actor.telegramId) };
    case 'system':
      return { type: 'system', id: actor.component };
  }
}

/**
 * Appends one audit_logs row. Repository functions call it inside the transaction of the change
 * they record, so a change and its audit row commit or roll back together.
 *
 * @returns the new row
 * @throws slonik's ForeignKeyIntegrityConstraintViolationError when `userId` names no user
 */
export async function writeAuditLog(connection: CommonQueryMethods, entry: AuditEntry): Promise<AuditLogRow> {
  const actor = actorColumns(entry.actor);
  return connection.one(sql.type(auditLogRow)`
    INSERT INTO audit_logs (user_id, action, entity_type, entity_id, details, ip_address, user_agent, actor, actor_id)
    VALUES (
      ${entry.userId ?? null}, ${entry.action}, ${entry.entityType}, ${entry.entityId},
      ${sql.jsonb(entry.details ?? {})},
      ${entry.ipAddress ?? null}::inet, ${entry.userAgent ?? null}, ${actor.type}, ${actor.id}
    )
    RETURNING *
  `);
}

/**
 * The audit trail of one entity, oldest first.
 *
 * @param limit most rows returned; default 100
 */
export async function listAuditLogs(
  connection: CommonQueryMethods,
  filter: { entityType: string; entityId: number; limit?: number },
): Promise<readonly AuditLogRow[]> {
  return connection.any(sql.type(auditLogRow)`
    SELECT * FROM audit_logs
    WHERE entity_type = ${filter.entityType} AND entity_id = ${filter.entityId}
    ORDER BY id
    LIMIT ${filter.limit ?? 100}
  `);
}

/**
 * Number of audit rows with an action, optionally for one entity (tests and operator reports).
 */
export async function countAuditLogs(connection: CommonQueryMethods, filter: { action: string; entityId?: number }): Promise<number> {
  return connection.oneFirst(sql.type(auditCount)`
    SELECT count(*)::int AS count FROM audit_logs
    WHERE action = ${filter.action}
      AND (${filter.entityId ?? null}::bigint IS NULL OR entity_id = ${filter.entityId ?? null}::bigint)
  `);
}
