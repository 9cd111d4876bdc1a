import type { DatabasePool } from '../lib/db/create-pool';
import { writeAuditLog } from '../sql/repositories/audit-repository';
import type { AuditActivities, AuditEntryInput } from './contracts/audit-activities';

export type { AuditEntryInput } from './contracts/audit-activities';

/** Dependencies of the audit activities. */
export interface AuditActivityDeps {
  db: DatabasePool;
}

/**
 * Activities that write the audit log.
 */
export function createAuditActivities({ db }: AuditActivityDeps): AuditActivities {
  return {
    /**
     * Records what a workflow did in audit_logs, attributed to the system's workflow component.
     *
     * @idempotency not deduplicated: a retried call may add a second identical row, which the
     * audit log tolerates (it is a log, not a ledger).
     * @returns the new row's id
     */
    async recordAudit(entry: AuditEntryInput): Promise<number> {
      const row = await writeAuditLog(db, { ...entry, actor: { type: 'system', component: 'workflow' } });
      return row.id;
    },
  };
}
