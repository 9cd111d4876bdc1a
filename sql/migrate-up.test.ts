import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, migrateUp } from './migrate-up';
import { seedSampleData } from './seed-sample-data';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase({ seed: true });
});
after(async () => db.drop());

const count = z.object({ count: z.number() });

describe('migrations and seed', () => {
  it('has every migration applied, each with an explanatory header and a down section', async () => {
    const files = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
    const applied = await db.pool.anyFirst(sql.type(z.object({ name: z.string() }))`SELECT name FROM pgmigrations ORDER BY run_on, id`);
    assert.deepEqual(
      [...applied],
      files.map((name) => name.replace(/\.sql$/, '')),
    );
    assert.deepEqual(await migrateUp(db.url), []);
    for (const file of files) {
      const text = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      const up = text.search(/^-- Up Migration$/m);
      assert.ok(up > 200, `${file} explains itself before -- Up Migration`);
      assert.ok(text.search(/^-- Down Migration$/m) > up, `${file} has a down section after the up section`);
    }
  });

  it('seeds production with the plans only', async () => {
    const fresh = await createTestDatabase();
    try {
      assert.deepEqual(await seedSampleData(fresh.url), ['0001_sample-plans.sql']);
      assert.equal(await fresh.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS count FROM subscription_plans`), 4);
      assert.equal(
        await fresh.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS count FROM vpn_servers`),
        0,
        'no sample server outside development',
      );
    } finally {
      await fresh.drop();
    }
  });

  it("closes the seed's sample server a database got before production stopped seeding it", async () => {
    const old = await createTestDatabase();
    try {
      // Back to before 0020, as a database deployed before it.
      const files = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
      const from = files.indexOf('0020_server-reopen-and-closed-reason.sql');
      await runner({
        databaseUrl: old.url,
        dir: MIGRATIONS_DIR,
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'down',
        count: files.length - from,
        singleTransaction: true,
        log: () => {},
      });
      await old.pool.query(
        sql.unsafe`INSERT INTO vpn_servers (name, location, endpoint, is_active) VALUES ('Server-1', 'Netherlands', 'your-domain.com:443', true)`,
      );
      await old.pool.query(
        sql.unsafe`INSERT INTO vpn_servers (name, endpoint, xui_panel_url, is_active) VALUES ('Server-1', 'your-domain.com:443', 'https://panel.example:2053', true)`,
      );
      assert.ok((await migrateUp(old.url)).includes('0020_server-reopen-and-closed-reason'));
      const rows = await old.pool.any(sql.type(
        z.object({ xui_panel_url: z.string().nullable(), is_active: z.boolean(), closed_reason: z.string().nullable() }),
      )`
        SELECT xui_panel_url, is_active, closed_reason FROM vpn_servers ORDER BY id`);
      assert.deepEqual(
        rows.map((row) => [row.xui_panel_url, row.is_active, row.closed_reason]),
        [
          [null, false, 'operator'],
          ['https://panel.example:2053', true, null],
        ],
      );
    } finally {
      await old.drop();
    }
  });

  it('re-runs the development seed without duplicating the four plans or the sample server', async () => {
    await seedSampleData(db.url, { sampleServer: true });
    await seedSampleData(db.url, { sampleServer: true });
    assert.equal(await db.pool.oneFirst(sql.type(count)`SELECT count(*)::int AS count FROM subscription_plans`), 4);
    const servers = await db.pool.any(sql.type(z.object({ name: z.string(), status: z.string(), max_users: z.number() }))`
      SELECT name, status, max_users FROM vpn_servers
    `);
    assert.deepEqual([...servers], [{ name: 'Server-1', status: 'up', max_users: 1000 }]);
  });

  it('returns only once its own connection is closed, so the database can be dropped straight after', async (t) => {
    // A connection still closing when `after` drops the database with FORCE is killed and raises
    // an uncaught error; the check is on pg's Client.end, which every closing goes through.
    let closing = 0;
    let ended = 0;
    const end = pg.Client.prototype.end as (this: pg.Client) => Promise<void>;
    t.mock.method(pg.Client.prototype, 'end', function (this: pg.Client) {
      closing += 1;
      const result = end.call(this);
      void result.finally(() => {
        closing -= 1;
        ended += 1;
      });
      return result;
    });
    assert.deepEqual(await migrateUp(db.url), []);
    assert.equal(ended, 1, 'its connection was closed');
    assert.equal(closing, 0, 'no connection of migrateUp was still closing when it returned');
  });

  it('migrates all the way down and up again', async () => {
    await runner({
      databaseUrl: db.url,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'down',
      count: Infinity,
      singleTransaction: true,
      log: () => {},
    });
    const left = await db.pool.oneFirst(sql.type(count)`
      SELECT count(*)::int AS count FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> ${MIGRATIONS_TABLE}
    `);
    assert.equal(left, 0);
    const applied = await migrateUp(db.url);
    assert.equal(applied.length, (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).length);
  });
});
