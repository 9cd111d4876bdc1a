import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql, type DatabasePool } from 'slonik';
import { startFakePanel, type FakePanel } from '../fakes/xui-panel/fake-panel';
import { realityTcpInbound } from '../fakes/xui-panel/seed-inbounds';
import { makeTestCertificates } from '../fakes/xui-panel/test-certificates';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { setServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { createServer, getServer, recordServerHealth, setServerApiVersion } from '../sql/repositories/servers-repository';
import { testActor } from '../test/support/db-fixtures';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createSecretBox } from '../lib/crypto/secret-box';
import { AppError, ErrorCode } from '../lib/errors';
import { createPanelResolver, serverPublicHost } from './panel-for-server';

const box = createSecretBox(randomBytes(32));
const panels: FakePanel[] = [];
let db: TestDatabase;
let pool: DatabasePool;
let serial = 0;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => {
  await Promise.all(panels.map((panel) => panel.close()));
  await db.drop();
});

async function panelServer(version: 'v2' | 'v3', options: { apiToken?: string } = {}) {
  const panel = await startFakePanel({ version, username: 'admin', password: 'pw-123456', webBasePath: '/base', ...options });
  panels.push(panel);
  serial += 1;
  const server = await createServer(pool, {
    name: `resolver-${serial}`,
    endpoint: 'h.example:443',
    xuiPanelUrl: panel.url,
    xuiWebBasePath: '/base',
    xuiInboundId: 1,
    actor: testActor,
  });
  await setServerPanelCredentials(pool, {
    serverId: server.id,
    box,
    ...(options.apiToken === undefined ? { username: 'admin', password: 'pw-123456' } : { apiToken: options.apiToken }),
    actor: testActor,
  });
  return { panel, server };
}

const isCode = (code: ErrorCode) => (error: unknown) => error instanceof AppError && error.code === code;
const callsTo = (panel: FakePanel, path: string) => panel.controls.calls.filter((call) => call.path === path).length;

describe('createPanelResolver', () => {
  for (const version of ['v2', 'v3'] as const) {
    it(`detects the ${version} generation once (server/status), records it on the row, and reuses the client and its session`, async () => {
      const { panel, server } = await panelServer(version);
      const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
      const first = await resolver.getPanel(server.id);
      assert.equal(await first.client.apiVersion(), version);
      assert.equal((await getServer(pool, server.id))?.xui_api_version, version);
      await first.client.listInbounds();
      await recordServerHealth(pool, { serverId: server.id, up: true, actor: testActor });

      const again = await resolver.getPanel(server.id);
      assert.equal(again.client, first.client);
      await again.client.listInbounds();
      assert.equal(callsTo(panel, '/login'), 1);
      assert.equal(callsTo(panel, '/panel/api/server/status'), 1);
      assert.equal(await countAuditLogs(pool, { action: 'server.api_version_set', entityId: server.id }), 1);

      const fresh = await createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 }).getPanel(server.id);
      assert.equal(await fresh.client.apiVersion(), version);
      assert.equal(callsTo(panel, '/panel/api/server/status'), 1);
    });
  }

  it('a wrongly recorded generation is detected again, recorded, and the call goes through', async () => {
    const { panel, server } = await panelServer('v3');
    await setServerApiVersion(pool, { serverId: server.id, version: 'v2', actor: testActor });
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
    const { client } = await resolver.getPanel(server.id);
    assert.equal(await client.lookupClient('nobody@example.com'), null);
    assert.equal((await getServer(pool, server.id))?.xui_api_version, 'v3');
    assert.equal(callsTo(panel, '/panel/api/server/status'), 1);
    assert.equal(await (await resolver.getPanel(server.id)).client.apiVersion(), 'v3');
  });

  it("uses the row's pinned certificate for an HTTPS panel", async () => {
    const certs = makeTestCertificates();
    const panel = await startFakePanel({
      version: 'v3',
      username: 'admin',
      password: 'pw-123456',
      https: { key: certs.key, cert: certs.chain },
    });
    panels.push(panel);
    const server = await createServer(pool, {
      name: 'resolver-tls',
      endpoint: 'h.example:443',
      xuiPanelUrl: panel.url,
      xuiInboundId: 1,
      actor: testActor,
    });
    await setServerPanelCredentials(pool, { serverId: server.id, box, username: 'admin', password: 'pw-123456', actor: testActor });
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
    await assert.rejects(resolver.getPanel(server.id), /self-signed certificate in certificate chain/);
    await pool.query(
      sql.unsafe`UPDATE vpn_servers SET xui_tls_pin_sha256 = ${certs.fingerprint256.replaceAll(':', '')} WHERE id = ${server.id}`,
    );
    assert.equal(await (await resolver.getPanel(server.id)).client.apiVersion(), 'v3');
  });

  it('serializes writes of several server rows on one v2 panel (no overlapping write, none answered 500)', async () => {
    const panel = await startFakePanel({
      version: 'v2',
      username: 'admin',
      password: 'pw-123456',
      writeMs: 10,
      inbounds: [realityTcpInbound(1, 443), realityTcpInbound(2, 8443)],
    });
    panels.push(panel);
    const rows: VpnServerRow[] = [];
    for (const inboundId of [1, 2]) {
      const server = await createServer(pool, {
        name: `shared-${inboundId}`,
        endpoint: 'h.example:443',
        xuiPanelUrl: panel.url,
        xuiInboundId: inboundId,
        actor: testActor,
      });
      await setServerPanelCredentials(pool, { serverId: server.id, box, username: 'admin', password: 'pw-123456', actor: testActor });
      rows.push(server);
    }
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 2_000 });
    await Promise.all(
      Array.from({ length: 12 }, async (_, n) => {
        const server = rows[n % 2];
        assert.ok(server);
        const { client } = await resolver.getPanel(server.id);
        const id = `00000000-0000-4000-8000-${String(500 + n).padStart(12, '0')}`;
        await client.addClient(server.xui_inbound_id ?? 0, {
          id,
          email: `shared-${n}`,
          flow: '',
          limitIp: 0,
          totalGB: 0,
          expiryTime: 0,
          enable: true,
          tgId: 0,
          subId: `shared${String(n).padStart(10, '0')}`,
          comment: '',
        });
      }),
    );
    assert.equal(panel.state.clients().length, 12);
    assert.ok(!panel.controls.calls.some((call) => call.status === 500));
  });

  it('rebuilds the client when the credentials change', async () => {
    const { server } = await panelServer('v3');
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
    const first = await resolver.getPanel(server.id);
    await setServerPanelCredentials(pool, { serverId: server.id, box, password: 'pw-123456', actor: testActor });
    const second = await resolver.getPanel(server.id);
    assert.notEqual(second.client, first.client);
    await second.client.listInbounds();
  });

  it('uses the API token (bearer) when the row has one', async () => {
    const { panel, server } = await panelServer('v3', { apiToken: 'tok-abcdef-123456' });
    const { client } = await createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 }).getPanel(server.id);
    assert.equal((await client.listInbounds()).length, 1);
    assert.equal(callsTo(panel, '/login'), 0);
    assert.ok(panel.controls.calls.filter((call) => call.path.startsWith('/panel/api/')).every((call) => call.auth === 'bearer'));
  });

  it('fails typed for unknown servers, missing panel URLs and missing credentials, and caches no failure', async () => {
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
    await assert.rejects(resolver.getPanel(99_999_999), isCode(ErrorCode.NOT_FOUND));
    const bare = await createServer(pool, { name: `bare-${serial}`, endpoint: 'b.example:443', actor: testActor });
    await assert.rejects(resolver.getPanel(bare.id), isCode(ErrorCode.PANEL_NOT_CONFIGURED));
    const noCredentials = await createServer(pool, {
      name: `nocred-${serial}`,
      endpoint: 'c.example:443',
      xuiPanelUrl: 'http://127.0.0.1:9',
      actor: testActor,
    });
    await assert.rejects(resolver.getPanel(noCredentials.id), isCode(ErrorCode.PANEL_NOT_CONFIGURED));

    const { panel, server } = await panelServer('v3');
    panel.controls.setDown(true);
    await assert.rejects(resolver.getPanel(server.id), (error: unknown) => {
      assert.ok(isCode(ErrorCode.PANEL_UNAVAILABLE)(error));
      assert.ok(error instanceof Error && !error.message.includes('pw-123456') && !error.message.includes('/base'));
      return true;
    });
    panel.controls.setDown(false);
    assert.equal(await (await resolver.getPanel(server.id)).client.apiVersion(), 'v3');
  });
});

describe('serverPublicHost', () => {
  it('takes the host out of host:port, [v6]:port and bare hosts', () => {
    assert.equal(serverPublicHost({ endpoint: 'vpn.example.com:443' }), 'vpn.example.com');
    assert.equal(serverPublicHost({ endpoint: '203.0.113.7:8443' }), '203.0.113.7');
    assert.equal(serverPublicHost({ endpoint: '[2001:db8::1]:443' }), '2001:db8::1');
    assert.equal(serverPublicHost({ endpoint: '2001:db8::1' }), '2001:db8::1');
    assert.equal(serverPublicHost({ endpoint: 'vpn.example.com' }), 'vpn.example.com');
  });
});
