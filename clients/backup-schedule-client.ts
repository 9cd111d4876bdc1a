/** Runs the database-backup Schedule now, on behalf of an operator. */
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { ScheduleId } from '../workflows/contract';

/**
 * Triggers one run of the `database-backup` Schedule now (its overlap policy SKIP still applies).
 * @returns false when the schedule does not exist (backups not configured)
 * @throws the Temporal client's errors
 */
export async function triggerBackupNow(client: Client): Promise<boolean> {
  try {
    await client.schedule.getHandle(ScheduleId.databaseBackup).trigger();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}
