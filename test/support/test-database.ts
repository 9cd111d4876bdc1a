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
