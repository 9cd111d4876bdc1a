/**
 * The contract of the database backup activity (activities/backup-activities.ts); the
 * database-backup workflow proxies it by type only.
 */

/** One finished backup. */
export interface BackupResult {
  /** File name inside BACKUP_DIR, e.g. `backup-20261125T163400Z.dump`. */
  file: string;
  /** Size of the dump, in bytes. */
  bytes: number;
  /** How long pg_dump took, in milliseconds (0 when a retry found the file already made). */
  durationMs: number;
  /** Backups left in the folder after pruning (this one included). */
  kept: number;
  /** Older backups deleted to keep BACKUP_KEEP. */
  deleted: string[];
}

/** The backup activities. */
export interface BackupActivities {
  /**
   * Dumps the database (pg_dump -Fc) to `<BACKUP_DIR>/<name>`, then deletes all but the newest
   * BACKUP_KEEP backups. @idempotency name (a retry finding the file answers with it)
   */
  backupDatabase(input: { name: string }): Promise<BackupResult>;
}
