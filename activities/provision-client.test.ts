/**
 * provisionClient against fake panels and a real database: a server that is down, refuses our
 * credentials, is unconfigured or hangs is skipped; its slot is given back, it is marked down,
 * operators are alerted once per server and hour, and the retry (what the workflow's activity
 * retry does) lands on the healthy server with exactly one client and correct slot counts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { sql, type DatabasePool } from 'slonik';
import type { FakePanel } from '../fakes/xui-panel/fake-panel';
import { realityTcpInbound } from '../fakes/xui-panel/seed-inbounds';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createLogger } from '../lib/logger';
import { deriveClientIdentity } from '../lib/xui/derive-client-identity';
import { createPanelResolver } from '../usecases/panel-for-server';
import { setServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { createServer, getServer, recordServerHealth } from '../sql/repositories/servers-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, testActor } from '../test/support/db-fixtures';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { startPanelServer, type PanelServer } from '../test/support/panel-server';
import type { AlertInput } from './contracts/alert-activities';
import { createPanelActivities } from './panel-activities';
import { serverFaultAlertKey } from './panel-server-faults';

const SALT = 'provision-client-test-salt';
const PASSWORD = 'fake-panel-password-42';
const box = createSecretBox(randomBytes(32));
const panels: FakePanel[] = [];
let db: TestDatabase;
let pool: DatabasePool;
let serial = 0;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
});
beforeEach(async () => {
  // Each test places subscriptions on its own servers only.
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
});
after(async () => {
  await Promise.all(panels.map((panel) => panel.close()));
  await db.drop();
});

async function panelServer(options: { maxUsers: number; vmess?: boolean }): Promise<PanelServer> {
  const inbound = realityTcpInbound();
  serial += 1;
  const made = await startPanelServer(pool, box, {
    name: `prov-${serial}`,
    endpoint: `prov-${serial}.example:443`,
    password: PASSWORD,
    maxUsers: options.maxUsers,
    inbounds: [options.vmess ? { ...inbound, protocol: 'vmess' } : inbound],
  });
  panels.push(made.panel);
  return made;
}

/**
 * A faulty server the selection prefers (both empty; the lower id wins the tie) and a healthy one.
 */
async function fleet(options: { vmess?: boolean } = {}) {
  const faulty = await panelServer({ maxUsers: 100, ...options });
  const healthy = await panelServer({ maxUsers: 10 });
  await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 0 WHERE id IN (${faulty.server.id}, ${healthy.server.id})`);
  const alerts: AlertInput[] = [];
  const activities = createPanelActivities({
    db: pool,
    logger: createLogger({ level: 'silent' }),
    panels: createPanelResolver({ db: pool, secretBox: box, timeoutMs: 300 }),
    clientIdSalt: SALT,
    publicBaseUrl: 'https://vpn.example.com',
    alertOperators: async (input) => {
      alerts.push(input);
      return { sent: true, duplicate: false, suppressed: false };
    },
  });
  return { faulty, healthy, alerts, activities };
}

const clientsOf = (panel: FakePanel, subscriptionId: number) =>
  panel.state.clients().filter(({ client }) => client['email'] === deriveClientIdentity(subscriptionId, SALT).email);

const retryableUnavailable = (error: unknown) => {
  assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  assert.equal(error.type, 'PANEL_UNAVAILABLE');
  assert.equal(error.nonRetryable, false, 'retryable: the next attempt picks another server');
  assert.ok(!error.message.includes(PASSWORD));
  return true;
};

async function usersOn(server: VpnServerRow): Promise<number> {
  return (await getServer(pool, server.id))?.current_users ?? -1;
}

/** The first attempt fails on `faulty`; the retry lands on `healthy`; every count is checked. */
async function assertLandsOnHealthy(setup: Awaited<ReturnType<typeof fleet>>, expectedCode: string) {
  const { faulty, healthy, alerts, activities } = setup;
  const subscription = await newActiveSubscription(pool);
  await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), retryableUnavailable);

  const afterFault = await getSubscription(pool, subscription.id);
  assert.equal(afterFault?.server_slot_held, false, 'the slot claimed on the faulty server is given back');
  assert.equal(await usersOn(faulty.server), 0);
  const marked = await getServer(pool, faulty.server.id);
  assert.equal(marked?.status, 'down', 'the faulty server is marked down, so the next selection skips it');
  assert.match(marked?.last_health_error ?? '', new RegExp(`^${expectedCode}`));
  assert.deepEqual(
    alerts.map((alert) => [alert.kind, alert.serverId, alert.subscriptionId, alert.key]),
    [['panel_unavailable', faulty.server.id, subscription.id, serverFaultAlertKey(faulty.server.id, new Date())]],
  );
  assert.ok(alerts.every((alert) => !alert.summary.includes(PASSWORD)));

  const placed = await activities.provisionClient({ subscriptionId: subscription.id });
  assert.equal(placed.serverId, healthy.server.id);
  const row = await getSubscription(pool, subscription.id);
  assert.equal(row?.server_id, healthy.server.id);
  assert.equal(row?.server_slot_held, true);
  assert.match(
    row?.vpn_key ?? '',
    new RegExp(`@${healthy.server.endpoint.split(':')[0]?.replace(/\./g, '\\.')}:`),
    'the key points at the healthy server',
  );
  assert.equal(await usersOn(healthy.server), 1);
  assert.equal(await usersOn(faulty.server), 0);
  assert.equal(clientsOf(healthy.panel, subscription.id).length, 1, 'exactly one client, on the healthy server');
  assert.equal(clientsOf(faulty.panel, subscription.id).length, 0);
  return subscription;
}

describe('provisionClient skips servers that cannot take the order', () => {
  it('a server whose panel is down', async () => {
    const setup = await fleet();
    setup.faulty.panel.controls.setDown(true);
    await assertLandsOnHealthy(setup, 'PANEL_UNAVAILABLE');
  });

  it('a server that refuses our credentials', async () => {
    const setup = await fleet();
    await setServerPanelCredentials(pool, { serverId: setup.faulty.server.id, box, password: 'not-the-password-9', actor: testActor });
    await assertLandsOnHealthy(setup, 'PANEL_AUTH_FAILED');
  });

  it('a server whose panel is misconfigured (its inbound is not VLESS: PANEL_NOT_CONFIGURED)', async () => {
    await assertLandsOnHealthy(await fleet({ vmess: true }), 'PANEL_NOT_CONFIGURED');
  });

  it('a server whose panel hangs: each attempt is bounded by the panel timeout', async () => {
    const setup = await fleet();
    setup.faulty.panel.controls.failNext(10, 'timeout');
    const started = performance.now();
    await assertLandsOnHealthy(setup, 'PANEL_UNAVAILABLE');
    assert.ok(performance.now() - started < 10_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('a server without panel credentials, or marked down by the probe, is never picked', async () => {
    const { faulty, healthy, activities, alerts } = await fleet();
    // The healthy server half full, the others empty: they would win if they could take the order.
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false WHERE id = ${faulty.server.id}`);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 5 WHERE id = ${healthy.server.id}`);
    const bare = await createServer(pool, {
      name: `bare-${serial}`,
      endpoint: 'bare.example:443',
      xuiInboundId: 1,
      maxUsers: 1000,
      actor: testActor,
    });
    const probedDown = await panelServer({ maxUsers: 1000 });
    await recordServerHealth(pool, { serverId: probedDown.server.id, up: false, error: 'PANEL_UNAVAILABLE: probe', actor: testActor });
    const subscription = await newActiveSubscription(pool);
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id })).serverId, healthy.server.id);
    assert.equal(await usersOn(healthy.server), 6);
    assert.equal(await usersOn(bare), 0);
    assert.equal(await usersOn(probedDown.server), 0);
    assert.deepEqual(alerts, [], 'nothing failed, nothing to tell');
  });

  it('alerts once per server and hour: a second fault on the same server in the hour has the same key', async () => {
    const { faulty, healthy, alerts, activities } = await fleet();
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false WHERE id = ${healthy.server.id}`);
    faulty.panel.controls.setDown(true);
    for (const subscription of [await newActiveSubscription(pool), await newActiveSubscription(pool)]) {
      // As the probe would when the panel answered for a moment: up again, then the fault again.
      await recordServerHealth(pool, { serverId: faulty.server.id, up: true, actor: testActor });
      await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), retryableUnavailable);
    }
    assert.equal(alerts.length, 2);
    assert.equal(new Set(alerts.map((alert) => alert.key)).size, 1, 'the alert channel delivers one key once');
    assert.equal(await usersOn(faulty.server), 0);
  });

  it('a subscription whose client already lives on a failing server keeps it there (failover decides), and the server is marked down', async () => {
    const { faulty, healthy, activities } = await fleet();
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false WHERE id = ${healthy.server.id}`);
    const subscription = await newActiveSubscription(pool);
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id })).serverId, faulty.server.id);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = true WHERE id = ${healthy.server.id}`);
    faulty.panel.controls.setDown(true);
    await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id }), retryableUnavailable);
    const row = await getSubscription(pool, subscription.id);
    assert.equal(row?.server_id, faulty.server.id);
    assert.equal(row?.server_slot_held, true);
    assert.equal(await usersOn(faulty.server), 1);
    assert.equal((await getServer(pool, faulty.server.id))?.status, 'down');
    assert.equal(clientsOf(faulty.panel, subscription.id).length, 1, 'its client is still there');
  });
});
