import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import type { Logger } from '../lib/logger';

/** The folder holding the ordered SQL migrations. */
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Name of the table node-pg-migrate records applied migrations in. */
export const MIGRATIONS_TABLE = 'pgmigrations';

/**
 * Applies every pending migration in `sql/migrations` in one transaction, holding
 * node-pg-migrate's advisory lock (concurrent callers wait rather than race).
 *
 * Returns only once its connection has closed: node-pg-migrate does not await the end of a
 * connection it opened itself, and a caller that drops or copies the database straight after
 * (tests' `DROP DATABASE … WITH (FORCE)`, `CREATE DATABASE … TEMPLATE`) would race it.
 *
 * @returns the names of the migrations this call applied (empty when up to date)
 * @throws when a migration fails; nothing of the batch is applied then
 */
export async function migrateUp(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      log: (message: string) => logger?.debug({ component: 'migrate' }, message),
    });
    return applied.map((migration) => migration.name);
  } finally {
    await client.end();
  }
}
