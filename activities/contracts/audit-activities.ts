/** The contract of the audit activity (implemented in activities/audit-activities.ts). */

/** One audit entry written on behalf of a workflow. */
export interface AuditEntryInput {
  action: string;
  entityType: string;
  entityId: number;
  userId?: number;
  details?: Record<string, unknown>;
}

/** The audit activities. */
export interface AuditActivities {
  /**
   * Records what a workflow did in audit_logs, attributed to the system's workflow component.
   * @idempotency not deduplicated: a retried call may add a second identical row, which the audit
   * log tolerates (it is a log, not a ledger).
   * @returns the new row's id
   */
  recordAudit(entry: AuditEntryInput): Promise<number>;
}
