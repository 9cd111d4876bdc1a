import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import { freePorts } from './free-port';
import { startTemporalDevServer, WAL_SQLITE_PRAGMAS, type RunningTemporal } from './temporal-dev-server';

describe('startTemporalDevServer with a SQLite file', () => {
  let dir: string;
  let temporal: RunningTemporal | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'temporal-wal-'));
  });
  after(async () => {
    await temporal?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens the file in write-ahead-log mode, as npm run dev and the benches run it (synchronous is per connection: not readable from outside)', async () => {
    const [port, httpPort, metricsPort] = await freePorts(3);
    const dbFilename = path.join(dir, 'temporal.sqlite');
    temporal = await startTemporalDevServer({
      binary: process.env.TEST_TEMPORAL_CLI ?? 'temporal',
      port: port ?? 0,
      httpPort,
      metricsPort,
      dbFilename,
      sqlitePragmas: WAL_SQLITE_PRAGMAS,
    });
    // journal_mode=wal is stored in the file itself, so a second connection reads it back.
    const db = new DatabaseSync(dbFilename, { readOnly: true });
    try {
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.['journal_mode'], 'wal');
    } finally {
      db.close();
    }
  });
});
