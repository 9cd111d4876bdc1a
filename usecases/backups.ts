/**
 * Backups for operators and the restore CLI: list the dumps in BACKUP_DIR, run the backup Schedule
 * now, and restore a dump into a database (`npm run restore -- FILE --yes`).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { listBackupFiles } from '../lib/db/backup-files';
import { triggerBackupNow } from '../clients/backup-schedule-client';
import { listDump, pgRestore, type DumpContents } from '../lib/db/pg-tools';

/** One dump in BACKUP_DIR. */
export interface BackupFile {
  name: string;
  bytes: number;
  modifiedAt: Date;
}

/** What a restore did. */
export interface RestoreReport {
  file: string;
  contents: DumpContents;
  /** Rows in each restored table after the restore, by schema-qualified name. */
  rowCounts: Record<string, number>;
}

/** The backup service the bot's operator screens use. */
export interface BackupService {
  /** Dumps in BACKUP_DIR, newest first (empty when backups are not configured or none exist yet). */
  listBackups(): Promise<BackupFile[]>;
  /**
   * Starts the database-backup Schedule's workflow now (the report arrives through the alerts).
   * @returns false when backups are not configured (no BACKUP_DIR, so no schedule)
   */
  backupNow(): Promise<boolean>;
}

/** Builds the backup service; `dir` is BACKUP_DIR (undefined: not configured). */
export function createBackupService(deps: { client: Client; dir: string | undefined }): BackupService {
  return {
    async listBackups() {
      if (deps.dir === undefined) return [];
      const dir = deps.dir;
      return Promise.all(
        (await listBackupFiles(dir)).map(async (name) => {
          const info = await stat(path.join(dir, name));
          return { name, bytes: info.size, modifiedAt: info.mtime };
        }),
      );
    },
    async backupNow() {
      if (deps.dir === undefined) return false;
      return triggerBackupNow(deps.client);
    },
  };
}

/**
 * Restores a custom-format dump into `databaseUrl` (pg_restore --clean --if-exists, one
 * transaction) and counts the rows of every table the dump held.
 * @throws PgToolError (pg_restore failed: nothing was changed), pg errors while counting
 */
export async function restoreBackup(input: { databaseUrl: string; file: string; pgBinDir?: string | undefined }): Promise<RestoreReport> {
  const file = path.resolve(input.file);
  const contents = await listDump({ file, ...(input.pgBinDir === undefined ? {} : { pgBinDir: input.pgBinDir }) });
  await pgRestore({ databaseUrl: input.databaseUrl, file, ...(input.pgBinDir === undefined ? {} : { pgBinDir: input.pgBinDir }) });
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  const rowCounts: Record<string, number> = {};
  try {
    for (const table of contents.tables) {
      const [schema = 'public', name = table] = table.split('.');
      const result = await client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`,
      );
      rowCounts[table] = Number(result.rows[0]?.n ?? 0);
    }
  } finally {
    await client.end();
  }
  return { file, contents, rowCounts };
}
