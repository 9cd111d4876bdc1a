/**
 * The deployment's database roles (docker-compose.yml's db-init job) on a cluster of their own:
 * the migrator migrates, the app role reads and writes rows but cannot change the schema or
 * reach Temporal's databases, Temporal's role cannot reach the app's, and a re-run is harmless.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../scripts/stack/embedded-postgres';
import { freePort } from '../scripts/stack/free-port';
import { migrateUp } from './migrate-up';
import { provisionRoles, type RolePlan } from './provision-roles';
import { seedSampleData } from './seed-sample-data';

const plan: RolePlan = {
  temporal: { role: 'temporal', password: 'temporal-pw', databases: ['temporal', 'temporal_visibility'] },
  migrator: { role: 'vless_migrator', password: 'migrator-pw' },
  app: { role: 'vless_app', password: 'app-pw' },
  appDatabase: 'vless',
};

let postgres: RunningPostgres;
let dataDir: string;
const urlAs = (role: string, password: string, database: string) => {
  const url = new URL(postgres.urlFor(database));
  url.username = role;
  url.password = password;
  return url.toString();
};

async function run(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'vless-roles-'));
  await chmod(dataDir, 0o755);
  postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
});
after(async () => {
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('deployment database roles', () => {
  it('gives the migrator the schema and the app role only rows', async () => {
    assert.deepEqual(await provisionRoles(postgres.adminUrl, plan), ['temporal', 'temporal_visibility', 'vless']);
    const migratorUrl = urlAs('vless_migrator', 'migrator-pw', 'vless');
    assert.ok((await migrateUp(migratorUrl)).length > 0);
    await seedSampleData(migratorUrl);

    const appUrl = urlAs('vless_app', 'app-pw', 'vless');
    const inserted = await run(appUrl, "INSERT INTO users (telegram_id, first_name) VALUES (4242, 'App') RETURNING id");
    assert.equal(inserted.rowCount, 1);
    assert.equal((await run(appUrl, 'SELECT count(*)::int AS n FROM subscription_plans')).rows[0].n, 4);
    await assert.rejects(run(appUrl, 'CREATE TABLE sneaky (id int)'), /permission denied/);
    await assert.rejects(run(appUrl, 'DROP TABLE users'), /must be owner/);
    await assert.rejects(run(appUrl, 'ALTER TABLE users ADD COLUMN x int'), /must be owner/);
    await assert.rejects(run(urlAs('vless_app', 'app-pw', 'temporal'), 'SELECT 1'), /permission denied/);
    await assert.rejects(run(urlAs('temporal', 'temporal-pw', 'vless'), 'SELECT 1'), /permission denied/);
    await run(urlAs('temporal', 'temporal-pw', 'temporal'), 'CREATE TABLE schema_version (v text)');
    const superuser = await run(
      postgres.adminUrl,
      "SELECT rolname FROM pg_roles WHERE rolsuper AND rolname IN ('temporal', 'vless_migrator', 'vless_app')",
    );
    assert.equal(superuser.rowCount, 0);
  });

  it('covers tables a later migration adds, and a re-run applies changed passwords only', async () => {
    await run(urlAs('vless_migrator', 'migrator-pw', 'vless'), 'CREATE TABLE later_table (id serial PRIMARY KEY, note text)');
    await run(urlAs('vless_app', 'app-pw', 'vless'), "INSERT INTO later_table (note) VALUES ('granted by default privileges')");

    assert.deepEqual(await provisionRoles(postgres.adminUrl, { ...plan, app: { role: 'vless_app', password: 'rotated-pw' } }), []);
    await assert.rejects(run(urlAs('vless_app', 'app-pw', 'vless'), 'SELECT 1'), /password authentication failed/);
    const rows = await run(urlAs('vless_app', 'rotated-pw', 'vless'), 'SELECT count(*)::int AS n FROM users');
    assert.equal(rows.rows[0].n, 1, 'data kept');
  });
});
