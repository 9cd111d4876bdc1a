import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDbPool, type DatabasePool } from '../../lib/db/create-pool';

/** A fresh, migrated database for one test file. */
export interface TestDatabase {
  /** Connection string of this database. */
  url: string;
  /** A slonik pool on it (row validation and money-safe parsers, as in production). */
  pool: DatabasePool;
  /** Ends the pool and drops the database. */
  drop(): Promise<void>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run tests through \`npm test\` (scripts/test.ts starts Postgres and sets it)`);
  }
  return value;
}

/**
 * Starts every id sequence of a fresh database at its own random offset. Test files share one
 * Temporal server, and workflow IDs carry database ids (`subscription-{id}`): two files that
 * both create subscription 1 would otherwise signal each other's workflows.
 */
async function offsetSequences(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const base = (1 + Math.floor(Math.random() * 2000)) * 1_000_000;
    const sequences = await client.query<{ name: string }>(
      "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) AS name FROM pg_sequences WHERE schemaname = 'public'",
    );
    for (const { name } of sequences.rows) {
      const current = await client.query<{ last: string | null }>(`SELECT last_value::text AS last FROM ${name}`);
      await client.query(`SELECT setval('${name}', $1, true)`, [String(base + Number(current.rows[0]?.last ?? 0))]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Creates a new database copied from the migrated template that `npm test` prepared
 * (TEST_PG_ADMIN_URL, TEST_PG_TEMPLATE), so each test file starts from a clean schema in
 * milliseconds. Call `drop()` in `after`.
 */
export async function createTestDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = requiredEnv('TEST_PG_ADMIN_URL');
  const template = requiredEnv(options.seed ? 'TEST_PG_SEEDED_TEMPLATE' : 'TEST_PG_TEMPLATE');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = await createDbPool(url.toString());
  await offsetSequences(url.toString());
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
