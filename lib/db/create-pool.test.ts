import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { createDbPool } from './create-pool';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

const setting = z.object({ name: z.string() });

/** Sets a session variable on the pool's only connection and reads it back in the next checkout. */
async function survivesRelease(resetOnRelease: boolean | undefined): Promise<string> {
  const pool = await createDbPool(database.url, { maximumPoolSize: 1, ...(resetOnRelease === undefined ? {} : { resetOnRelease }) });
  try {
    await pool.query(sql.unsafe`SET application_name = 'left-behind'`);
    return await pool.oneFirst(sql.type(setting)`SELECT current_setting('application_name') AS name`);
  } finally {
    await pool.end();
  }
}

describe('createDbPool', () => {
  it('resets a connection when it returns to the pool, unless told not to', async () => {
    assert.notEqual(await survivesRelease(undefined), 'left-behind', 'DISCARD ALL by default');
    assert.equal(await survivesRelease(false), 'left-behind', 'no reset round trip with resetOnRelease: false');
  });
});
