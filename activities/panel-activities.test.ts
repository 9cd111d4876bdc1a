import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { startFakePanel, type FakePanel } from '../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createLogger } from '../lib/logger';
import { deriveClientIdentity } from '../lib/xui/derive-client-identity';
import { ensureClient } from '../lib/xui/ensure-client';
import { createPanelClient } from '../lib/xui/panel-client';
import { createPanelResolver } from '../usecases/panel-for-server';
import { parseVlessLink } from '../lib/xui/parse-vless-link';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { setServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { createServer, getServer } from '../sql/repositories/servers-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createPanelActivities } from './panel-activities';
import { desiredClient, identityOf, limitsOf } from './panel-client-spec';

const SALT = 'panel-activities-test-salt';
const PASSWORD = 'fake-panel-password-7f3a';
const TRAFFIC_LIMIT = 50 * 1024 ** 3;
const box = createSecretBox(randomBytes(32));
const panels: FakePanel[] = [];
let db: TestDatabase;
let pool: DatabasePool;
let planId: number;
let serial = 0;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
  planId = await pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO subscription_plans (name, duration_days, price_rub, features)
    VALUES ('test 50 GiB', 30, 99.00, ${sql.jsonb({ traffic_limit: TRAFFIC_LIMIT, devices: 3 })}) RETURNING id
  `);
});
beforeEach(async () => {
  // Each test claims slots on its own server only.
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
});
after(async () => {
  await Promise.all(panels.map((panel) => panel.close()));
  await db.drop();
});

async function setup(version: 'v2' | 'v3' = 'v3') {
  const panel = await startFakePanel({ version, username: 'admin', password: PASSWORD, webBasePath: '/secret-path' });
  panels.push(panel);
  serial += 1;
  const server = await createServer(pool, {
    name: `panel-${version}-${serial}`,
    endpoint: 'vpn.example.com:443',
    xuiPanelUrl: panel.url,
    xuiWebBasePath: '/secret-path',
    xuiInboundId: 1,
    maxUsers: 10,
    actor: testActor,
  });
  await setServerPanelCredentials(pool, { serverId: server.id, box, username: 'admin', password: PASSWORD, actor: testActor });
  const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
  const activities = createPanelActivities({
    db: pool,
    logger: createLogger({ level: 'silent' }),
    panels: resolver,
    clientIdSalt: SALT,
    publicBaseUrl: 'https://vpn.example.com',
  });
  const subscription = await newActiveSubscription(pool, { planId });
  const email = deriveClientIdentity(subscription.id, SALT).email;
  const clientsNamed = () =>
    panel.state
      .clients()
      .filter(({ client }) => client['email'] === email)
      .map(({ client }) => client);
  return { panel, server, resolver, activities, subscription, email, clientsNamed };
}

const failure = (type: string, nonRetryable: boolean) => (error: unknown) => {
  assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  assert.equal(error.type, type);
  assert.equal(error.nonRetryable, nonRetryable);
  assert.ok(!error.message.includes(PASSWORD) && !error.message.includes('secret-path'));
  return true;
};

for (const version of ['v2', 'v3'] as const) {
  describe(`provisionClient on ${version}`, () => {
    it('creates exactly one client when called twice, and records key, QR and identity once', async () => {
      const { server, activities, subscription, clientsNamed } = await setup(version);
      const first = await activities.provisionClient({ subscriptionId: subscription.id });
      const second = await activities.provisionClient({ subscriptionId: subscription.id });
      assert.deepEqual(first, { serverId: server.id, action: 'created' }, 'no key or URL in the result (it lands in workflow history)');
      assert.equal(second.serverId, first.serverId);
      assert.notEqual(second.action, 'created');

      const [client, ...others] = clientsNamed();
      assert.equal(others.length, 0);
      const identity = deriveClientIdentity(subscription.id, SALT);
      assert.equal(client?.['id'], identity.uuid);
      assert.equal(client?.['expiryTime'], subscription.end_date?.getTime());
      assert.equal(client?.['limitIp'], 3);
      assert.equal(client?.['totalGB'], TRAFFIC_LIMIT);
      assert.equal(client?.['enable'], true);
      assert.equal(client?.['flow'], 'xtls-rprx-vision');

      const row = await getSubscription(pool, subscription.id);
      const link = parseVlessLink(row?.vpn_key ?? '');
      assert.equal(link.uuid, identity.uuid);
      assert.equal(link.host, 'vpn.example.com');
      assert.equal(link.port, 443);
      assert.equal(link.params['security'], 'reality');
      assert.equal(row?.sub_token, subscription.sub_token, 'the subscription URL token is kept');
      assert.equal(row?.xui_email, identity.email);
      assert.equal(row?.xui_client_uuid, identity.uuid);
      assert.equal(row?.xui_inbound_id, 1);
      assert.ok(
        Buffer.from(row?.qr_code ?? '', 'base64')
          .subarray(1, 4)
          .equals(Buffer.from('PNG')),
      );
      assert.equal(row?.server_slot_held, true);
      assert.equal((await getServer(pool, server.id))?.current_users, 1);
      assert.equal(await countAuditLogs(pool, { action: 'subscription.client_set', entityId: subscription.id }), 1);
    });

    it('after a crash between the panel call and the database write, the retry finds the client', async () => {
      const { panel, activities, subscription, clientsNamed } = await setup(version);
      const api = createPanelClient({
        baseUrl: panel.url,
        webBasePath: '/secret-path',
        username: 'admin',
        password: PASSWORD,
        apiVersion: version,
        timeoutMs: 1_000,
      });
      const inbound = await api.getInbound(1);
      const want = desiredClient(
        identityOf(subscription.id, null, SALT),
        inbound,
        limitsOf({ features: { traffic_limit: TRAFFIC_LIMIT, devices: 3 } }),
        {
          enable: true,
          expiryTime: subscription.end_date?.getTime() ?? 0,
        },
      );
      assert.equal((await ensureClient(api, 1, want)).action, 'created');
      assert.equal((await getSubscription(pool, subscription.id))?.vpn_key, null);

      await activities.provisionClient({ subscriptionId: subscription.id });
      assert.equal(clientsNamed().length, 1);
      assert.notEqual((await getSubscription(pool, subscription.id))?.vpn_key, null);
    });
  });
}

describe('provisionClient failures', () => {
  it('panel down: a retryable PANEL_UNAVAILABLE failure, nothing recorded', async () => {
    const { panel, activities, subscription } = await setup();
    panel.controls.setDown(true);
    await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), failure('PANEL_UNAVAILABLE', false));
    assert.equal((await getSubscription(pool, subscription.id))?.vpn_key, null);
    panel.controls.setDown(false);
    // The failed provisioning marked the server down: it is skipped until the probe sees it answer.
    assert.equal((await activities.probePanel({ serverId: (await getSubscription(pool, subscription.id))?.server_id ?? 0 })).up, true);
    await activities.provisionClient({ subscriptionId: subscription.id });
    assert.ok((await getSubscription(pool, subscription.id))?.vpn_key?.startsWith('vless://'));
  });

  it('a refusal (the email taken by another uuid) is a non-retryable PANEL_REJECTED failure', async () => {
    const { panel, activities, subscription, email } = await setup();
    const api = createPanelClient({
      baseUrl: panel.url,
      webBasePath: '/secret-path',
      username: 'admin',
      password: PASSWORD,
      apiVersion: 'v3',
      timeoutMs: 1_000,
    });
    const squatter = {
      id: randomUUID(),
      email,
      flow: '',
      limitIp: 0,
      totalGB: 0,
      expiryTime: 0,
      enable: true,
      tgId: 0,
      subId: 'squatter',
      comment: '',
    };
    await api.addClient(1, squatter);
    await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), failure('PANEL_REJECTED', true));
  });

  it('a wrong panel password fails retryably without the password, gives the slot back and marks the server down (PANEL_AUTH_FAILED)', async () => {
    const { server, activities, subscription } = await setup();
    await setServerPanelCredentials(pool, { serverId: server.id, box, password: 'wrong-password-123', actor: testActor });
    await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), (error: unknown) => {
      // Was a non-retryable PANEL_AUTH_FAILED; now the retry must land on another server.
      failure('PANEL_UNAVAILABLE', false)(error);
      assert.ok(error instanceof Error && !error.message.includes('wrong-password-123'));
      return true;
    });
    const row = await getServer(pool, server.id);
    assert.equal(row?.status, 'down');
    assert.match(row?.last_health_error ?? '', /^PANEL_AUTH_FAILED/);
    assert.ok(!(row?.last_health_error ?? '').includes('wrong-password-123'));
    assert.equal(row?.current_users, 0);
    assert.equal((await getSubscription(pool, subscription.id))?.server_slot_held, false);
  });

  it('a cancelled subscription is not provisioned (SUBSCRIPTION_STATE_INVALID)', async () => {
    const { activities, subscription } = await setup();
    await pool.query(sql.unsafe`UPDATE subscriptions SET status = 'cancelled' WHERE id = ${subscription.id}`);
    await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), failure('SUBSCRIPTION_STATE_INVALID', true));
  });
});

describe('client lifecycle', () => {
  it('disable, extend (keeps disabled), enable: each changes the panel client; repeats change nothing', async () => {
    const { activities, subscription, clientsNamed } = await setup();
    await activities.provisionClient({ subscriptionId: subscription.id });

    assert.deepEqual(await activities.disableClient({ subscriptionId: subscription.id }), { found: true, changed: true });
    assert.equal(clientsNamed()[0]?.['enable'], false);
    assert.deepEqual(await activities.disableClient({ subscriptionId: subscription.id }), { found: true, changed: false });

    const later = new Date((subscription.end_date?.getTime() ?? 0) + 30 * 86_400_000);
    assert.equal((await activities.extendClient({ subscriptionId: subscription.id, expiresAt: later.toISOString() })).action, 'updated');
    assert.equal(clientsNamed()[0]?.['expiryTime'], later.getTime());
    assert.equal(clientsNamed()[0]?.['enable'], false);
    assert.equal((await activities.extendClient({ subscriptionId: subscription.id, expiresAt: later })).action, 'unchanged');

    const latest = new Date(later.getTime() + 86_400_000);
    assert.equal((await activities.enableClient({ subscriptionId: subscription.id, expiresAt: latest.toISOString() })).action, 'updated');
    assert.equal(clientsNamed()[0]?.['enable'], true);
    assert.equal(clientsNamed()[0]?.['expiryTime'], latest.getTime());
    assert.equal(clientsNamed().length, 1);
  });

  it('enable re-creates a client the panel lost, with the same key', async () => {
    const { panel, activities, subscription, email, clientsNamed } = await setup();
    await activities.provisionClient({ subscriptionId: subscription.id });
    const vpnKey = (await getSubscription(pool, subscription.id))?.vpn_key ?? '';
    const inbound = panel.state.findInbound(1);
    assert.ok(inbound);
    panel.state.writeClients(
      inbound,
      panel.state.readClients(inbound).filter((client) => client['email'] !== email),
    );
    panel.state.removeTrafficRow(email);
    const expiresAt = subscription.end_date?.toISOString() ?? '';
    assert.equal((await activities.enableClient({ subscriptionId: subscription.id, expiresAt })).action, 'created');
    assert.equal(clientsNamed()[0]?.['id'], parseVlessLink(vpnKey).uuid);
  });

  it('enable before provisioning is SUBSCRIPTION_STATE_INVALID', async () => {
    const { activities, subscription } = await setup();
    await assert.rejects(
      activities.enableClient({ subscriptionId: subscription.id, expiresAt: new Date() }),
      failure('SUBSCRIPTION_STATE_INVALID', true),
    );
  });

  it('delete twice: deleted, then already gone', async () => {
    const { server, activities, subscription, clientsNamed } = await setup('v3');
    await activities.provisionClient({ subscriptionId: subscription.id });
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: server.id }), {
      deleted: true,
      disabledInstead: false,
    });
    assert.equal(clientsNamed().length, 0);
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: server.id }), {
      deleted: false,
      disabledInstead: false,
    });
    assert.deepEqual(await activities.disableClient({ subscriptionId: subscription.id }), { found: false, changed: false });
  });

  it('on v2 the last client of an inbound is disabled instead of deleted', async () => {
    const { server, activities, subscription, clientsNamed } = await setup('v2');
    await activities.provisionClient({ subscriptionId: subscription.id });
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: server.id }), {
      deleted: false,
      disabledInstead: true,
    });
    assert.equal(clientsNamed()[0]?.['enable'], false);
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: server.id }), {
      deleted: false,
      disabledInstead: true,
    });
  });
});

describe('syncTraffic and probePanel', () => {
  it('stores upload and download apart (and their sum) per subscription; a second sync changes nothing', async () => {
    const { panel, server, activities, subscription, email } = await setup();
    await activities.provisionClient({ subscriptionId: subscription.id });
    panel.state.addTraffic(email, 1_000, 250_000);
    assert.deepEqual(await activities.syncTraffic({ serverId: server.id }), { subscriptions: 1, updated: 1, missing: 0 });
    const synced = await getSubscription(pool, subscription.id);
    assert.deepEqual([synced?.traffic_up, synced?.traffic_down, synced?.traffic_used], [1_000, 250_000, 251_000]);
    assert.deepEqual(await activities.syncTraffic({ serverId: server.id }), { subscriptions: 1, updated: 0, missing: 0 });
    assert.equal(await countAuditLogs(pool, { entityId: subscription.id, action: 'subscription.traffic_updated' }), 0);
  });

  it('records up, down with the error code, and up again on the server row', async () => {
    const { panel, server, activities } = await setup();
    const up = await activities.probePanel({ serverId: server.id });
    assert.equal(up.up, true);
    assert.equal(up.apiVersion, 'v3');
    assert.equal((await getServer(pool, server.id))?.xui_api_version, 'v3');

    panel.controls.setDown(true, '503');
    const down = await activities.probePanel({ serverId: server.id });
    assert.deepEqual(down, { up: false, latencyMs: null, apiVersion: null, error: 'PANEL_UNAVAILABLE' });
    const row = await getServer(pool, server.id);
    assert.equal(row?.status, 'down');
    assert.match(row?.last_health_error ?? '', /^PANEL_UNAVAILABLE/);
    assert.ok(!(row?.last_health_error ?? '').includes('secret-path'));

    panel.controls.setDown(false);
    assert.equal((await activities.probePanel({ serverId: server.id })).up, true);
    assert.equal((await getServer(pool, server.id))?.status, 'up');
  });

  it('a server without a panel URL probes down with PANEL_NOT_CONFIGURED', async () => {
    const { activities } = await setup();
    const bare = await createServer(pool, { name: `bare-${serial}`, endpoint: 'bare.example:443', actor: testActor });
    assert.equal((await activities.probePanel({ serverId: bare.id })).error, 'PANEL_NOT_CONFIGURED');
  });
});

describe('inside an activity context', () => {
  it('heartbeats between panel calls, and stops at the next panel call once cancelled', async () => {
    const { activities, subscription, clientsNamed } = await setup();
    const environment = new MockActivityEnvironment();
    let beats = 0;
    environment.on('heartbeat', () => void (beats += 1));
    await environment.run(activities.provisionClient, { subscriptionId: subscription.id });
    assert.ok(beats >= 3, `heartbeats: ${beats}`);

    const cancelled = new MockActivityEnvironment();
    cancelled.cancel();
    await assert.rejects(
      cancelled.run(activities.disableClient, { subscriptionId: subscription.id }),
      (error: unknown) => error instanceof CancelledFailure,
    );
    assert.equal(clientsNamed()[0]?.['enable'], true);
  });
});
