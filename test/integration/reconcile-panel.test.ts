/**
 * The panel reconciler against fake 3X-UI panels and a real database: a lost client is
 * re-created with the same key, the client a move left behind is deleted, a wrong expiry is set
 * back to end_date, a client the product did not make is reported and left alone; every repair
 * has one audit row (actor system:reconciler), and a second run finds nothing to do.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createPanelActivities } from '../../activities/panel-activities';
import { createReconcileActivities } from '../../activities/reconcile-activities';
import type { FakePanel } from '../../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { releaseServerSlot } from '../../sql/repositories/server-slots-repository';
import { setServerActive } from '../../sql/repositories/servers-repository';
import { getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newActiveSubscription, testActor } from '../support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startPanelServer, type PanelServer } from '../support/panel-server';

const box = createSecretBox(randomBytes(32));
const panels: FakePanel[] = [];
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await Promise.all(panels.map((panel) => panel.close()));
  await db.drop();
});

async function panelServer(name: string, version: 'v2' | 'v3' = 'v3'): Promise<PanelServer> {
  const made = await startPanelServer(db.pool, box, { name, endpoint: `${name}.example:443`, password: 'pw-0123456789', version });
  panels.push(made.panel);
  return made;
}

function panelClient(panel: FakePanel, email: string): Record<string, unknown> | undefined {
  return panel.state.clients().find(({ client }) => client['email'] === email)?.client;
}

describe('reconcilePanel', () => {
  it('repairs what is safe, reports the rest, audits each repair, and is idempotent', async () => {
    const pool = db.pool;
    const logger = createLogger({ level: 'silent' });
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
    const panelActivities = createPanelActivities({
      db: pool,
      logger,
      panels: resolver,
      clientIdSalt: 'reconcile-salt-0123456789',
      publicBaseUrl: 'https://vpn.example.com',
    });
    const { reconcilePanel } = createReconcileActivities({ db: pool, logger, panels: resolver, clientIdSalt: 'reconcile-salt-0123456789' });

    const nl = await panelServer('nl');
    const lost = await newActiveSubscription(pool);
    const moved = await newActiveSubscription(pool);
    const skewed = await newActiveSubscription(pool);
    for (const subscription of [lost, moved, skewed]) await panelActivities.provisionClient({ subscriptionId: subscription.id });

    // `moved` goes to another server while nl is closed; its old client stays on nl.
    const de = await panelServer('de');
    await releaseServerSlot(pool, { subscriptionId: moved.id, actor: testActor });
    await setServerActive(pool, { serverId: nl.server.id, active: false, actor: testActor });
    assert.equal((await panelActivities.provisionClient({ subscriptionId: moved.id })).serverId, de.server.id);
    await setServerActive(pool, { serverId: nl.server.id, active: true, actor: testActor });

    const lostRow = await getSubscription(pool, lost.id);
    const movedRow = await getSubscription(pool, moved.id);
    const skewedRow = await getSubscription(pool, skewed.id);
    assert.ok(lostRow?.xui_email && movedRow?.xui_email && skewedRow?.xui_email && skewedRow.end_date);

    // Drift: the panel lost one client, another's expiry changed, and someone added a client by hand.
    const inbound = nl.panel.state.findInbound(1);
    assert.ok(inbound);
    const clients = nl.panel.state.readClients(inbound).filter((client) => client['email'] !== lostRow.xui_email);
    for (const client of clients) if (client['email'] === skewedRow.xui_email) client['expiryTime'] = 0;
    clients.push({
      id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
      email: 'friend-of-admin',
      enable: true,
      expiryTime: 0,
      totalGB: 0,
      limitIp: 0,
      flow: '',
      subId: 'x',
      tgId: 0,
      comment: '',
    });
    nl.panel.state.writeClients(inbound, clients);
    nl.panel.state.removeTrafficRow(lostRow.xui_email);
    nl.panel.state.addTrafficRow(1, clients[clients.length - 1] ?? {});

    const report = await reconcilePanel({ serverId: nl.server.id });
    assert.equal(report.reachable, true);
    assert.deepEqual(
      report.fixed.map((finding) => [finding.kind, 'subscriptionId' in finding ? finding.subscriptionId : null]).sort(),
      [
        ['drift', skewed.id],
        ['extra', moved.id],
        ['missing', lost.id],
      ].sort(),
    );
    assert.deepEqual(report.unresolved, [{ kind: 'foreign', fix: null, inboundId: 1, clients: 1 }]);

    assert.equal(panelClient(nl.panel, lostRow.xui_email)?.['id'], lostRow.xui_client_uuid, 're-created with the same identity (same key)');
    assert.equal(panelClient(nl.panel, movedRow.xui_email), undefined, 'the left-behind client is deleted');
    assert.ok(panelClient(de.panel, movedRow.xui_email), 'the moved client on its new server is untouched');
    assert.equal(panelClient(nl.panel, skewedRow.xui_email)?.['expiryTime'], skewedRow.end_date.getTime());
    assert.ok(panelClient(nl.panel, 'friend-of-admin'), 'a foreign client is never touched');

    const audits = await pool.any(sql.type(
      z.object({ action: z.string(), entity_id: z.number(), actor: z.string(), actor_id: z.string() }),
    )`
      SELECT action, entity_id, actor, actor_id FROM audit_logs WHERE actor_id = 'reconciler' ORDER BY entity_id`);
    assert.deepEqual(
      audits.map((row) => [row.action, row.entity_id, row.actor]),
      [
        ['panel_client.recreated', lost.id, 'system'],
        ['panel_client.deleted', moved.id, 'system'],
        ['panel_client.updated', skewed.id, 'system'],
      ],
    );

    const again = await reconcilePanel({ serverId: nl.server.id });
    assert.deepEqual(again.fixed, []);
    assert.equal(again.unresolved.length, 1);
    assert.equal(
      await pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM audit_logs WHERE actor_id = 'reconciler'`),
      3,
    );
  });

  it('v2: the last client of an inbound is left disabled once, audited as such (not as deleted), and not retried', async () => {
    const pool = db.pool;
    const logger = createLogger({ level: 'silent' });
    const resolver = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 });
    const panelActivities = createPanelActivities({
      db: pool,
      logger,
      panels: resolver,
      clientIdSalt: 'reconcile-salt-0123456789',
      publicBaseUrl: 'https://vpn.example.com',
    });
    const { reconcilePanel } = createReconcileActivities({ db: pool, logger, panels: resolver, clientIdSalt: 'reconcile-salt-0123456789' });
    const { panel, server } = await panelServer('v2-last', 'v2');
    const subscription = await newActiveSubscription(pool);
    await panelActivities.provisionClient({ subscriptionId: subscription.id });
    await pool.query(sql.unsafe`UPDATE subscriptions SET status = 'cancelled' WHERE id = ${subscription.id}`);
    const email = (await getSubscription(pool, subscription.id))?.xui_email ?? '';

    const first = await reconcilePanel({ serverId: server.id });
    assert.deepEqual(
      first.fixed.map((finding) => finding.kind),
      ['extra'],
    );
    assert.equal(panelClient(panel, email)?.['enable'], false);
    panel.controls.calls.length = 0;
    for (let run = 0; run < 3; run += 1) {
      const later = await reconcilePanel({ serverId: server.id });
      assert.deepEqual(later.fixed, []);
      assert.deepEqual(
        later.unresolved.map((finding) => finding.kind),
        ['kept-last'],
      );
    }
    assert.ok(!panel.controls.calls.some((call) => call.method === 'POST'), 'no delete retried');
    const audits = await pool.anyFirst(sql.type(z.object({ action: z.string() }))`
      SELECT action FROM audit_logs WHERE actor_id = 'reconciler' AND entity_id = ${subscription.id}`);
    assert.deepEqual(audits, ['panel_client.disabled_last']);
  });

  it('reports an unreachable panel as a verdict, not a failure', async () => {
    const { panel, server } = await panelServer('down');
    panel.controls.setDown(true);
    const logger = createLogger({ level: 'silent' });
    const resolver = createPanelResolver({ db: db.pool, secretBox: box, timeoutMs: 500 });
    const { reconcilePanel } = createReconcileActivities({
      db: db.pool,
      logger,
      panels: resolver,
      clientIdSalt: 'reconcile-salt-0123456789',
    });
    const report = await reconcilePanel({ serverId: server.id });
    assert.equal(report.reachable, false);
    assert.equal(report.error, 'PANEL_UNAVAILABLE');
  });
});
