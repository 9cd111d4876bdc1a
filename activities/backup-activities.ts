/**
 * The database backup activity: pg_dump (lib/db/pg-tools.ts) to BACKUP_DIR, keeping the newest
 * BACKUP_KEEP dumps. Runs in the worker, as the worker's user: the folder must be writable by it
 * (pg_dump is a client; the database server's own user never touches the folder).
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, InvalidInputError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { pgDump } from '../lib/db/pg-tools';
import { BACKUP_FILE_PATTERN, pruneBackups } from '../lib/db/backup-files';
import { heartbeatIfActivity } from './activity-context';
import type { BackupActivities, BackupResult } from './contracts/backup-activities';
import { asActivity } from './to-activity-failure';

/** Where backups go and how many stay (BACKUP_DIR, BACKUP_KEEP, PG_BIN_DIR). */
export interface BackupSettings {
  /** Absolute folder the dumps are written to; created when missing. */
  dir: string;
  /** Newest backups kept; older ones are deleted after each successful backup. */
  keep: number;
  /** The database to dump (DATABASE_URL). Its password goes to pg_dump in PGPASSWORD only. */
  databaseUrl: string;
  /** Folder of pg_dump (PG_BIN_DIR); default lib/db/pg-tools.ts's search. */
  pgBinDir?: string | undefined;
}

/** Dependencies of the backup activities. */
export interface BackupActivityDeps {
  logger: Logger;
  /** Absent: backups are not configured and the activity fails non-retryably (CONFIG_INVALID). */
  backups?: BackupSettings | undefined;
}

/** Builds the backup activities. */
export function createBackupActivities(deps: BackupActivityDeps): BackupActivities {
  const log = deps.logger.child({ component: 'activity:backup' });
  return {
    /**
     * Dumps to `<dir>/<name>.partial`, renames it to `<dir>/<name>` only when pg_dump succeeded (a
     * crash never leaves a half dump under a backup's name), then prunes. Heartbeats every 10 s while
     * pg_dump runs, so a dead worker's dump is retried elsewhere.
     * @idempotency name: a retry that finds `<dir>/<name>` answers with that file (durationMs 0)
     * @throws ApplicationFailure CONFIG_INVALID (no BACKUP_DIR), INVALID_INPUT (a name not made by
     *   backupFileName); DATABASE_UNAVAILABLE (pg_dump failed or missing: retryable)
     */
    async backupDatabase(input) {
      return asActivity(async (): Promise<BackupResult> => {
        const settings = deps.backups;
        if (settings === undefined) throw new ConfigError('backups are not configured (BACKUP_DIR)');
        if (!BACKUP_FILE_PATTERN.test(input.name)) throw new InvalidInputError('backup name must look like backup-YYYYMMDDTHHMMSSZ.dump');
        const file = path.join(settings.dir, input.name);
        const existing = await stat(file).catch(() => null);
        if (existing !== null) {
          const pruned = await pruneBackups(settings.dir, settings.keep);
          return { file: input.name, bytes: existing.size, durationMs: 0, ...pruned };
        }
        await mkdir(settings.dir, { recursive: true });
        const partial = `${file}.partial`;
        await rm(partial, { force: true });
        const started = Date.now();
        const beat = setInterval(
          () => heartbeatIfActivity({ phase: 'pg_dump', seconds: Math.round((Date.now() - started) / 1000) }),
          10_000,
        );
        try {
          await pgDump({ databaseUrl: settings.databaseUrl, file: partial, pgBinDir: settings.pgBinDir });
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        } finally {
          clearInterval(beat);
        }
        await rename(partial, file);
        const durationMs = Date.now() - started;
        const { size } = await stat(file);
        const pruned = await pruneBackups(settings.dir, settings.keep);
        log.info({ file: input.name, bytes: size, durationMs, kept: pruned.kept, deleted: pruned.deleted.length }, 'database backed up');
        return { file: input.name, bytes: size, durationMs, ...pruned };
      });
    },
  };
}
