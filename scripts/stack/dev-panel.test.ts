import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql, type DatabasePool } from 'slonik';
import { startFakePanel, type FakePanel } from '../../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { getServerPanelCredentials } from '../../sql/repositories/server-credentials-repository';
import { getServer } from '../../sql/repositories/servers-repository';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { DEV_SERVER_NAME, ensureDevPanelServer } from './dev-panel';

const key = randomBytes(32).toString('hex');
let db: TestDatabase;
let pool: DatabasePool;
let panel: FakePanel;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
  panel = await startFakePanel({ version: 'v3', username: 'admin', password: 'admin' });
});
after(async () => {
  await panel.close();
  await db.drop();
});

describe('ensureDevPanelServer', () => {
  it('points the seed sample server at the fake panel once, and the panel answers through the resolver', async () => {
    const input = { databaseUrl: db.url, panelUrl: panel.url, username: 'admin', password: 'admin', secretsKey: key };
    const first = await ensureDevPanelServer(input);
    assert.equal(first.name, 'Server-1');
    assert.equal(first.action, 'configured');
    const server = await getServer(pool, first.serverId);
    assert.equal(server?.xui_panel_url, panel.url);
    assert.equal(server?.xui_inbound_id, 1);
    assert.equal(server?.endpoint, '127.0.0.1:443');
    assert.match(server?.xui_password_enc ?? '', /^v1:/);
    const box = createSecretBox(key);
    assert.equal((await getServerPanelCredentials(pool, { serverId: first.serverId, box })).password, 'admin');
    const { client } = await createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 }).getPanel(first.serverId);
    assert.equal((await client.probe()).inboundCount, 1);

    assert.equal((await ensureDevPanelServer(input)).action, 'kept');
    const rekeyed = randomBytes(32).toString('hex');
    assert.equal((await ensureDevPanelServer({ ...input, secretsKey: rekeyed })).action, 'refreshed');
    assert.equal((await getServerPanelCredentials(pool, { serverId: first.serverId, box: createSecretBox(rekeyed) })).password, 'admin');
  });

  it('never touches a row an operator pointed at another panel', async () => {
    await pool.query(sql.unsafe`UPDATE vpn_servers SET xui_panel_url = 'https://panel.example.com:2053' WHERE name = 'Server-1'`);
    const before = await pool.one(sql.unsafe`SELECT * FROM vpn_servers WHERE name = 'Server-1'`);
    const result = await ensureDevPanelServer({
      databaseUrl: db.url,
      panelUrl: panel.url,
      username: 'admin',
      password: 'admin',
      secretsKey: key,
    });
    assert.equal(result.action, 'operator-panel');
    assert.deepEqual(await pool.one(sql.unsafe`SELECT * FROM vpn_servers WHERE name = 'Server-1'`), before);
  });

  it('creates a "Dev fake panel" row when the sample server is gone', async () => {
    await pool.query(sql.unsafe`UPDATE vpn_servers SET name = 'renamed-by-operator' WHERE name = 'Server-1'`);
    const result = await ensureDevPanelServer({
      databaseUrl: db.url,
      panelUrl: panel.url,
      username: 'admin',
      password: 'admin',
      secretsKey: key,
    });
    assert.equal(result.action, 'created');
    assert.equal(result.name, DEV_SERVER_NAME);
    assert.equal((await getServer(pool, result.serverId))?.xui_panel_url, panel.url);
  });
});
