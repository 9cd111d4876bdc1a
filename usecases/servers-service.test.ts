/**
 * The operators' server service against fake 3X-UI panels (v2 with a password, v3 with an API
 * token and a web base path) and a real database: add tests the panel and shows its inbounds,
 * secrets are stored only encrypted, a second row sells another inbound of the same panel, edit,
 * credential rotation (tested before it is stored), disable/enable, reopen after a healthy spell,
 * and remove only of an unused row; every change audited.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { startFakePanel, type FakePanel } from '../fakes/xui-panel/fake-panel';
import { realityTcpInbound, tcpHttpInbound, wsTlsInbound } from '../fakes/xui-panel/seed-inbounds';
import { createSecretBox } from '../lib/crypto/secret-box';
import { ErrorCode } from '../lib/errors';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { getServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { claimServerSlot } from '../sql/repositories/server-slots-repository';
import { recordServerHealth } from '../sql/repositories/servers-repository';
import { newActiveSubscription, testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createServersService, type ServersService } from './servers-service';

const box = createSecretBox(randomBytes(32));
const PASSWORD = 'panel-pass-0123456789';
const TOKEN = 'v3-api-token-abcdefghijklmnop';
let db: TestDatabase;
let v2: FakePanel;
let v3: FakePanel;
let service: ServersService;

before(async () => {
  db = await createTestDatabase();
  v2 = await startFakePanel({
    version: 'v2',
    username: 'admin',
    password: PASSWORD,
    inbounds: [realityTcpInbound(1, 443), tcpHttpInbound(2, 8080)],
  });
  v3 = await startFakePanel({
    version: 'v3',
    username: 'root',
    password: 'unused-password-1',
    apiToken: TOKEN,
    webBasePath: '/hidden',
    inbounds: [wsTlsInbound(3, 8443)],
  });
  service = createServersService({ db: db.pool, secretBox: box, panelTimeoutMs: 2_000, reopenAfterSeconds: 3_600, actor: testActor });
});
after(async () => {
  await v2?.close();
  await v3?.close();
  await db?.drop();
});

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, ErrorCode.INVALID_INPUT);
    assert.match((error as Error).message, pattern);
    return true;
  });
}

describe('servers service', () => {
  it('tests a panel and shows its inbounds; a wrong password is a verdict, not a crash', async () => {
    const test = await service.testPanel({ panelUrl: v2.url, webBasePath: '', username: 'admin', password: PASSWORD });
    assert.ok(test.ok);
    assert.equal(test.apiVersion, 'v2');
    assert.deepEqual(
      test.inbounds.map((inbound) => [inbound.id, inbound.protocol, inbound.port, inbound.security]),
      [
        [1, 'vless', 443, 'reality'],
        [2, 'vless', 8080, 'none'],
      ],
    );
    const wrong = await service.testPanel({ panelUrl: v2.url, webBasePath: '', username: 'admin', password: 'wrong-password' });
    assert.equal(wrong.ok, false);
    assert.ok(!wrong.ok && wrong.error === 'PANEL_AUTH_FAILED');
  });

  it('adds a panel row after testing it, stores the password only encrypted, and refuses what it cannot sell', async () => {
    const before = (await service.list()).length;
    await rejects(
      service.add({ name: 'NL-x', access: { panelUrl: v2.url, webBasePath: '', username: 'admin', password: PASSWORD }, inboundId: 9 }),
      /no inbound 9.*1 \(vless/,
    );
    await rejects(
      service.add({ name: 'NL-x', access: { panelUrl: v2.url, webBasePath: '', username: 'admin', password: 'nope-nope' }, inboundId: 1 }),
      /PANEL_AUTH_FAILED/,
    );
    await rejects(
      service.add({ name: 'NL-x', access: { panelUrl: v2.url, webBasePath: '' }, inboundId: 1 }),
      /username and password, or an API token/,
    );
    await rejects(
      service.add({ name: 'NL-x', access: { panelUrl: `${v2.url}/path`, webBasePath: '', username: 'a', password: 'b' }, inboundId: 1 }),
      /without a path/,
    );
    assert.equal((await service.list()).length, before, 'nothing stored by a refused add');

    const { server, test } = await service.add({
      name: 'NL-reality',
      access: { panelUrl: `${v2.url}/`, webBasePath: '', username: 'admin', password: PASSWORD },
      inboundId: 1,
      location: 'Netherlands',
      maxUsers: 50,
    });
    assert.ok(test?.ok);
    assert.equal(server.xui_panel_url, v2.url, 'trailing slash dropped');
    assert.equal(server.endpoint, '127.0.0.1:443', "default endpoint: the panel's host and the inbound's port");
    assert.equal(server.max_users, 50);
    assert.equal(server.is_active, true);
    assert.ok(!JSON.stringify(server).includes(PASSWORD), 'the password is stored encrypted');
    assert.equal((await getServerPanelCredentials(db.pool, { serverId: server.id, box })).password, PASSWORD);
    assert.equal(await countAuditLogs(db.pool, { action: 'server.created', entityId: server.id }), 1);
    assert.equal(await countAuditLogs(db.pool, { action: 'server.credentials_set', entityId: server.id }), 1);

    // The same panel's second inbound as a row of its own, credentials copied (sealed for the new row).
    const second = await service.add({ name: 'NL-tcp', samePanelAs: server.id, inboundId: 2, endpoint: 'nl.example.com:8080' });
    assert.equal(second.server.xui_panel_url, v2.url);
    assert.equal(second.server.xui_inbound_id, 2);
    assert.notEqual(second.server.xui_password_enc, server.xui_password_enc, 'a box is bound to its row');
    assert.equal((await getServerPanelCredentials(db.pool, { serverId: second.server.id, box })).password, PASSWORD);
    const tested = await service.testServer(second.server.id);
    assert.ok(tested.ok && tested.inbounds.length === 2);
  });

  it('adds a v3 panel with an API token and a web base path', async () => {
    const { server } = await service.add({
      name: 'DE-ws',
      access: { panelUrl: v3.url, webBasePath: '/hidden/', apiToken: TOKEN },
      inboundId: 3,
    });
    assert.equal(server.xui_web_base_path, '/hidden');
    assert.equal(server.endpoint, '127.0.0.1:8443');
    const summary = await service.show(server.id);
    assert.equal(summary.auth, 'token');
    assert.ok(!JSON.stringify(await service.list()).includes(TOKEN), 'list never shows a secret');
  });

  it('edits, rotates credentials only after testing them, and lists load and health', async () => {
    const { server } = await service.add({
      name: 'rotate-me',
      access: { panelUrl: v2.url, webBasePath: '', username: 'admin', password: 'old-wrong-password' },
      inboundId: 1,
      endpoint: 'r.example.com:443',
      test: false,
    });
    await rejects(service.rotateCredentials(server.id, { password: 'still-wrong-pass' }), /failed the panel test.*nothing was changed/);
    assert.equal((await getServerPanelCredentials(db.pool, { serverId: server.id, box })).password, 'old-wrong-password');
    const rotated = await service.rotateCredentials(server.id, { password: PASSWORD });
    assert.ok(rotated.test?.ok);
    assert.equal((await getServerPanelCredentials(db.pool, { serverId: server.id, box })).password, PASSWORD);

    const subscription = await newActiveSubscription(db.pool);
    await claimServerSlot(db.pool, { subscriptionId: subscription.id, preferServerId: server.id, actor: testActor });
    await rejects(service.edit(server.id, { maxUsers: 0 }), /capacity/);
    const edited = await service.edit(server.id, {
      name: 'rotated',
      location: 'Finland',
      endpoint: 'fi.example.com:443',
      maxUsers: 4,
      resetApiVersion: true,
    });
    assert.deepEqual(
      [edited.name, edited.location, edited.endpoint, edited.max_users, edited.xui_api_version],
      ['rotated', 'Finland', 'fi.example.com:443', 4, null],
    );
    await recordServerHealth(db.pool, { serverId: server.id, up: false, error: 'PANEL_UNAVAILABLE: connection refused', actor: testActor });
    const listed = (await service.list()).find((entry) => entry.id === server.id);
    assert.ok(listed);
    assert.equal(listed.load, 0.25);
    assert.equal(listed.status, 'down');
    assert.equal(listed.lastError, 'PANEL_UNAVAILABLE: connection refused');
    assert.equal(await countAuditLogs(db.pool, { action: 'server.updated', entityId: server.id }), 1);

    await rejects(service.remove(server.id), /has subscriptions/);
  });

  it('disables, enables, re-opens only after a healthy spell (or forced), and removes an unused row', async () => {
    const { server } = await service.add({
      name: 'flaky',
      access: { panelUrl: v2.url, webBasePath: '', username: 'admin', password: PASSWORD },
      inboundId: 1,
    });
    assert.equal((await service.disable(server.id)).closed_reason, 'operator');
    assert.equal((await service.enable(server.id)).is_active, true);

    await service.disable(server.id);
    await recordServerHealth(db.pool, { serverId: server.id, up: false, actor: testActor });
    const down = await service.reopen(server.id);
    assert.deepEqual([down.reopened, down.reason], [false, 'down']);
    await recordServerHealth(db.pool, { serverId: server.id, up: true, actor: testActor });
    const tooSoon = await service.reopen(server.id);
    assert.deepEqual([tooSoon.reopened, tooSoon.reason], [false, 'not-healthy-long-enough']);

    const patient = createServersService({ db: db.pool, secretBox: box, panelTimeoutMs: 2_000, reopenAfterSeconds: 1, actor: testActor });
    await db.pool.query(sql.unsafe`UPDATE vpn_servers SET up_since = now() - interval '5 seconds' WHERE id = ${server.id}`);
    const reopened = await patient.reopen(server.id);
    assert.equal(reopened.reopened, true);
    assert.equal(reopened.server.is_active, true);
    assert.deepEqual([(await patient.reopen(server.id)).reason], ['already-open']);
    await service.disable(server.id);
    assert.equal((await service.reopen(server.id, { force: true })).reopened, true, 'force skips the health check');
    const details = await db.pool.anyFirst(sql.type(z.object({ details: z.record(z.string(), z.unknown()) }))`
      SELECT details FROM audit_logs WHERE action = 'server.reopened' AND entity_id = ${server.id} ORDER BY id`);
    assert.deepEqual(
      details.map((entry) => [entry['closed_reason'], entry['forced']]),
      [
        ['operator', false],
        ['operator', true],
      ],
    );

    await service.remove(server.id);
    assert.equal(
      (await service.list()).some((entry) => entry.id === server.id),
      false,
    );
    assert.equal(await countAuditLogs(db.pool, { action: 'server.removed', entityId: server.id }), 1);
  });
});
