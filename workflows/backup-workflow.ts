import { ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/contracts/alert-activities';
import type { BackupActivities, BackupResult } from '../activities/contracts/backup-activities';
import { ActivityProfile } from './activity-options';

const backups = proxyActivities<BackupActivities>(ActivityProfile.backup);
const alerts = proxyActivities<AlertActivities>(ActivityProfile.database);

/** The file name of the backup a run started at `at` makes (`backup-YYYYMMDDTHHMMSSZ.dump`): sorts by time, no colons. */
export function backupFileName(at: Date): string {
  return `backup-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}.dump`;
}

/** Size in MB with two decimals (0.01 MB at least shown as such). */
function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(2);
}

/**
 * The `database-backup` Schedule's run: one pg_dump named after the run's start time (so a retried
 * activity finds its own file), pruning to BACKUP_KEEP, then a report to the operators through the
 * alert channel (kind backup_completed: file, size, duration, how many kept). A backup that fails
 * after the activity's retries is reported as backup_failed and fails the run (visible in the
 * Schedule's recent actions); the next scheduled run is the real retry.
 */
export async function databaseBackupWorkflow(): Promise<BackupResult> {
  const name = backupFileName(new Date(Date.now()));
  let result: BackupResult;
  try {
    result = await backups.backupDatabase({ name });
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : 'unknown error';
    log.error('database backup failed', { name });
    await alerts.alertOperators({
      kind: 'backup_failed',
      key: `backup_failed:${name}`,
      summary: `Database backup ${name} failed: ${reason.slice(0, 300)}`,
    });
    throw ApplicationFailure.nonRetryable(`database backup ${name} failed`, 'BACKUP_FAILED');
  }
  await alerts.alertOperators({
    kind: 'backup_completed',
    key: `backup_completed:${name}`,
    summary:
      `Database backup ${result.file}: ${megabytes(result.bytes)} MB in ${(result.durationMs / 1000).toFixed(1)} s; ` +
      `${result.kept} backup(s) kept${result.deleted.length > 0 ? `, ${result.deleted.length} older deleted` : ''}.`,
  });
  return result;
}
