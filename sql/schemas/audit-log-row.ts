import { z } from 'zod';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/** Who caused a change. */
export const auditActorType = z.enum(['user', 'provider_webhook', 'operator', 'system']);

/** One of {@link auditActorType}. */
export type AuditActorType = z.infer<typeof auditActorType>;

/** An `audit_logs` row. user_id is the end user the change concerns; actor/actor_id who caused it. */
export const auditLogRow = z.object({
  id: idColumn,
  user_id: idColumn.nullable(),
  action: z.string(),
  entity_type: z.string().nullable(),
  entity_id: z.number().int().nullable(),
  details: jsonColumn,
  ip_address: z.string().nullable(),
  user_agent: z.string().nullable(),
  created_at: timestampColumn,
  actor: auditActorType,
  actor_id: z.string().nullable(),
});

/** An `audit_logs` row. */
export type AuditLogRow = z.infer<typeof auditLogRow>;
