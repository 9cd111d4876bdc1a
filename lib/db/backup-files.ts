/** The dump files in a backup folder: which files are backups, newest first, and pruning. */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** The names the database-backup workflow gives dumps (`backup-YYYYMMDDTHHMMSSZ.dump`): the only files pruning deletes. */
export const BACKUP_FILE_PATTERN = /^backup-\d{8}T\d{6}Z\.dump$/;

/** The backup files in `dir`, newest first (names sort by time). */
export async function listBackupFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => BACKUP_FILE_PATTERN.test(name))
    .sort()
    .reverse();
}

/** Deletes all but the newest `keep` backup files; returns the names deleted. */
export async function pruneBackups(dir: string, keep: number): Promise<{ kept: number; deleted: string[] }> {
  const files = await listBackupFiles(dir);
  const deleted = files.slice(keep);
  for (const name of deleted) await rm(path.join(dir, name), { force: true });
  return { kept: files.length - deleted.length, deleted };
}
