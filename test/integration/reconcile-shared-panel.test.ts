/**
 * Several server rows on one panel (one row per inbound sold) against a fake 3X-UI panel and a
 * real database: each row's reconciler judges only its own inbound, so nothing is deleted and
 * nothing flaps; a closed server's deletions wait; a client another subscription records is never
 * deleted; destructive repairs are capped per run, the rest held back with an operator alert.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import type { AlertInput } from '../../activities/contracts/alert-activities';
import { createPanelActivities } from '../../activities/panel-activities';
import {
  CLIENT_OWNED_ELSEWHERE,
  createReconcileActivities,
  REPAIR_CAP_REACHED,
  SERVER_INACTIVE,
} from '../../activities/reconcile-activities';
import type { FakePanel } from '../../fakes/xui-panel/fake-panel';
import { realityTcpInbound, tcpHttpInbound } from '../../fakes/xui-panel/seed-inbounds';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { setServerPanelCredentials } from '../../sql/repositories/server-credentials-repository';
import { releaseServerSlot } from '../../sql/repositories/server-slots-repository';
import { createServer, setServerActive } from '../../sql/repositories/servers-repository';
import { getSubscription } from '../../sql/repositories/subscriptions-repository';
import type { VpnServerRow } from '../../sql/schemas/vpn-server-row';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { newActiveSubscription, testActor } from '../support/db-fixtures';
import { startPanelServer } from '../support/panel-server';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const box = createSecretBox(randomBytes(32));
const SALT = 'shared-panel-salt-0123456789';
const PASSWORD = 'pw-0123456789';
const panels: FakePanel[] = [];
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await Promise.all(panels.map((panel) => panel.close()));
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
});

function activities(options: { maxDestructivePerRun?: number } = {}) {
  const logger = createLogger({ level: 'silent' });
  const resolver = createPanelResolver({ db: db.pool, secretBox: box, timeoutMs: 1_000 });
  const alerts: AlertInput[] = [];
  const alertOperators = async (input: AlertInput) => {
    alerts.push(input);
    return { sent: true, duplicate: false, suppressed: false };
  };
  return {
    alerts,
    panel: createPanelActivities({ db: db.pool, logger, panels: resolver, clientIdSalt: SALT, publicBaseUrl: 'https://vpn.example.com' }),
    reconcile: createReconcileActivities({ db: db.pool, logger, panels: resolver, clientIdSalt: SALT, alertOperators, ...options }),
  };
}

/** One fake panel with two VLESS inbounds (1 and 2), sold by two server rows. */
async function sharedPanel(name: string): Promise<{ panel: FakePanel; first: VpnServerRow; second: VpnServerRow }> {
  const made = await startPanelServer(db.pool, box, {
    name: `${name}-reality`,
    endpoint: `${name}.example:443`,
    password: PASSWORD,
    inbounds: [realityTcpInbound(1, 443), tcpHttpInbound(2, 8080)],
  });
  panels.push(made.panel);
  const second = await createServer(db.pool, {
    name: `${name}-tcp`,
    endpoint: `${name}.example:8080`,
    xuiPanelUrl: made.panel.url,
    xuiInboundId: 2,
    actor: testActor,
  });
  await setServerPanelCredentials(db.pool, { serverId: second.id, box, username: 'admin', password: PASSWORD, actor: testActor });
  // Closed until a test opens the one it provisions on.
  await db.pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
  return { panel: made.panel, first: made.server, second };
}

function emailsOn(panel: FakePanel, inboundId: number): string[] {
  return panel.state
    .clients()
    .filter((entry) => entry.inboundId === inboundId)
    .map(({ client }) => String(client['email']))
    .sort();
}

const countAudits = async (action: string) =>
  db.pool.oneFirst(
    sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM audit_logs WHERE actor_id = 'reconciler' AND action = ${action}`,
  );

describe('reconciler with several rows on one panel', () => {
  it('leaves every paid client of both inbounds alone, run after run (nothing deleted, nothing flaps)', async () => {
    const { panel, first, second } = await sharedPanel('shared');
    const { panel: panelActivities, reconcile } = activities();
    const onFirst = [await newActiveSubscription(db.pool), await newActiveSubscription(db.pool)];
    const onSecond = [await newActiveSubscription(db.pool), await newActiveSubscription(db.pool)];
    await setServerActive(db.pool, { serverId: first.id, active: true, actor: testActor });
    for (const subscription of onFirst)
      assert.equal((await panelActivities.provisionClient({ subscriptionId: subscription.id })).serverId, first.id);
    await setServerActive(db.pool, { serverId: first.id, active: false, actor: testActor });
    await setServerActive(db.pool, { serverId: second.id, active: true, actor: testActor });
    for (const subscription of onSecond)
      assert.equal((await panelActivities.provisionClient({ subscriptionId: subscription.id })).serverId, second.id);
    await setServerActive(db.pool, { serverId: first.id, active: true, actor: testActor });

    const before = [emailsOn(panel, 1), emailsOn(panel, 2)];
    assert.equal(before[0]?.length, 2);
    assert.equal(before[1]?.length, 2);
    for (let run = 0; run < 3; run += 1) {
      for (const server of [first, second]) {
        const report = await reconcile.reconcilePanel({ serverId: server.id });
        assert.equal(report.reachable, true);
        assert.deepEqual(report.fixed, [], `run ${run} on server ${server.id} repaired nothing`);
        assert.deepEqual(report.signalled, []);
        assert.deepEqual(report.unresolved, []);
        assert.equal(report.clients, 2, 'each row judges the two clients of its own inbound');
      }
      assert.deepEqual([emailsOn(panel, 1), emailsOn(panel, 2)], before, 'every client stays where it is');
    }
    assert.equal(await countAudits('panel_client.deleted'), 0);
    assert.equal(await countAudits('panel_client.recreated'), 0);
  });

  it("reports, never deletes, another row's client found on this row's inbound", async () => {
    const { panel, first, second } = await sharedPanel('stray');
    const { panel: panelActivities, reconcile } = activities();
    await setServerActive(db.pool, { serverId: second.id, active: true, actor: testActor });
    const stray = await newActiveSubscription(db.pool);
    await panelActivities.provisionClient({ subscriptionId: stray.id });
    const row = await getSubscription(db.pool, stray.id);
    assert.ok(row?.xui_email);
    // Someone moved the client by hand to inbound 1 (the first row's); the database still says second.
    const inboundTwo = panel.state.findInbound(2);
    const inboundOne = panel.state.findInbound(1);
    assert.ok(inboundOne && inboundTwo);
    const client = panel.state.readClients(inboundTwo).find((entry) => entry['email'] === row.xui_email);
    assert.ok(client);
    panel.state.writeClients(
      inboundTwo,
      panel.state.readClients(inboundTwo).filter((entry) => entry['email'] !== row.xui_email),
    );
    panel.state.writeClients(inboundOne, [...panel.state.readClients(inboundOne), client]);

    const report = await reconcile.reconcilePanel({ serverId: first.id });
    assert.deepEqual(report.fixed, []);
    assert.deepEqual(
      report.unresolved.map((finding) => finding.kind),
      ['other-row'],
    );
    assert.deepEqual(emailsOn(panel, 1), [row.xui_email], 'the client is not deleted');
  });
});

describe('reconciler safety limits', () => {
  /** A panel server whose `count` subscriptions moved to another server, leaving their clients behind. */
  async function leftovers(name: string, count: number) {
    const made = await startPanelServer(db.pool, box, { name, endpoint: `${name}.example:443`, password: PASSWORD });
    panels.push(made.panel);
    const { panel: panelActivities } = activities();
    await setServerActive(db.pool, { serverId: made.server.id, active: true, actor: testActor });
    const moved = [];
    for (let i = 0; i < count; i += 1) {
      const subscription = await newActiveSubscription(db.pool);
      await panelActivities.provisionClient({ subscriptionId: subscription.id });
      moved.push(subscription);
    }
    const target = await startPanelServer(db.pool, box, { name: `${name}-new`, endpoint: `${name}-new.example:443`, password: PASSWORD });
    panels.push(target.panel);
    await setServerActive(db.pool, { serverId: made.server.id, active: false, actor: testActor });
    for (const subscription of moved) {
      await releaseServerSlot(db.pool, { subscriptionId: subscription.id, actor: testActor });
      assert.equal((await panelActivities.provisionClient({ subscriptionId: subscription.id })).serverId, target.server.id);
    }
    return { ...made, moved };
  }

  it("skips a closed server's deletions, then caps them per run with an operator alert", async () => {
    const { panel, server, moved } = await leftovers('capped', 3);
    const { reconcile, alerts } = activities({ maxDestructivePerRun: 2 });

    const closed = await reconcile.reconcilePanel({ serverId: server.id });
    assert.deepEqual(closed.fixed, []);
    assert.deepEqual(
      closed.unresolved.map((finding) => [finding.kind, finding.error]),
      moved.map(() => ['extra', SERVER_INACTIVE]),
    );
    assert.equal(panel.state.clients().length, 3, 'nothing deleted while the server is closed');

    await setServerActive(db.pool, { serverId: server.id, active: true, actor: testActor });
    const first = await reconcile.reconcilePanel({ serverId: server.id });
    assert.equal(first.fixed.length, 2);
    assert.deepEqual(
      first.unresolved.map((finding) => [finding.kind, finding.error]),
      [['extra', REPAIR_CAP_REACHED]],
    );
    assert.equal(panel.state.clients().length, 1);
    const heldBack = alerts.filter((alert) => alert.kind === 'reconcile_held_back');
    assert.equal(heldBack.length, 1);
    assert.match(heldBack[0]?.summary ?? '', /1 destructive repair\(s\).*cap of 2/);

    const second = await reconcile.reconcilePanel({ serverId: server.id });
    assert.equal(second.fixed.length, 1);
    assert.deepEqual(second.unresolved, []);
    assert.equal(panel.state.clients().length, 0);
  });

  it('never deletes a client whose uuid another subscription records', async () => {
    const { panel, server, moved } = await leftovers('owned', 1);
    const [leftover] = moved;
    assert.ok(leftover);
    const row = await getSubscription(db.pool, leftover.id);
    assert.ok(row?.xui_client_uuid);
    // The leftover's row forgets its recorded identity (the derived one is the same) and another
    // subscription records that uuid, as an import of the panel's clients could.
    const other = await newActiveSubscription(db.pool);
    await db.pool.query(sql.unsafe`UPDATE subscriptions SET xui_client_uuid = NULL, xui_email = NULL WHERE id = ${leftover.id}`);
    await db.pool.query(sql.unsafe`UPDATE subscriptions SET xui_client_uuid = ${row.xui_client_uuid} WHERE id = ${other.id}`);
    await setServerActive(db.pool, { serverId: server.id, active: true, actor: testActor });

    const { reconcile } = activities();
    const report = await reconcile.reconcilePanel({ serverId: server.id });
    assert.deepEqual(report.fixed, []);
    assert.deepEqual(
      report.unresolved.map((finding) => [finding.kind, finding.error]),
      [['extra', CLIENT_OWNED_ELSEWHERE]],
    );
    assert.equal(panel.state.clients().length, 1);
  });
});
