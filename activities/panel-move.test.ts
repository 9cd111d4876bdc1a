/**
 * Two-phase moves and the reconciler, on fake panels and a real database. The invariant checked
 * after every step, crash and reconciler run: the row names a server whose panel holds the
 * subscription's client, enabled, with the recorded identity (the user's key works), and slot
 * counts match the rows.
 *
 * Finding 5 of issue 9: a move used to switch server_id before the new client existed; a
 * failure there left the row on the new server without a client, and the reconciler then deleted
 * the old (only working) client as "left behind by a move".
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { FakePanel } from '../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createLogger } from '../lib/logger';
import { ensureClient } from '../lib/xui/ensure-client';
import { createPanelClient } from '../lib/xui/panel-client';
import { createPanelResolver } from '../usecases/panel-for-server';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { reserveMoveTarget } from '../sql/repositories/server-moves-repository';
import { listSlotCountMismatches } from '../sql/repositories/server-slots-repository';
import { getServer, setServerActive } from '../sql/repositories/servers-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, testActor } from '../test/support/db-fixtures';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { startPanelServer } from '../test/support/panel-server';
import { SignalName, subscriptionWorkflowId } from '../workflows/contract';
import { createPanelActivities } from './panel-activities';
import { desiredClient, identityOf, limitsOf } from './panel-client-spec';
import { createReconcileActivities, SUBSCRIPTION_BUSY } from './reconcile-activities';

const SALT = 'panel-move-test-salt-0123';
const PASSWORD = 'fake-panel-password-move';
const box = createSecretBox(randomBytes(32));
const logger = createLogger({ level: 'silent' });
const fakes = new Map<number, FakePanel>();
let db: TestDatabase;
let pool: DatabasePool;
let serial = 0;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
});
beforeEach(async () => {
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
});
after(async () => {
  await Promise.all([...fakes.values()].map((panel) => panel.close()));
  await db.drop();
});

async function panelServer(): Promise<VpnServerRow> {
  serial += 1;
  const { panel, server } = await startPanelServer(pool, box, {
    name: `mv-${serial}`,
    endpoint: `mv-${serial}.example:443`,
    password: PASSWORD,
    maxUsers: 10,
  });
  fakes.set(server.id, panel);
  return server;
}

const fake = (serverId: number): FakePanel => {
  const panel = fakes.get(serverId);
  assert.ok(panel, `no fake panel for server ${serverId}`);
  return panel;
};

function build(options: { temporal?: Client; lockTimeoutMs?: number; fetch?: typeof globalThis.fetch } = {}) {
  const panels = createPanelResolver({ db: pool, secretBox: box, timeoutMs: 500, fetch: options.fetch });
  const activities = createPanelActivities({ db: pool, logger, panels, clientIdSalt: SALT, publicBaseUrl: 'https://vpn.example.com' });
  const reconciler = createReconcileActivities({
    db: pool,
    logger,
    panels,
    clientIdSalt: SALT,
    temporal: options.temporal,
    lockTimeoutMs: options.lockTimeoutMs,
  });
  return { activities, reconcilePanel: reconciler.reconcilePanel };
}

/** A subscription provisioned on A (the only open server), then B opened: the move's target. */
async function onA() {
  const a = await panelServer();
  const subscription = await newActiveSubscription(pool);
  const kit = build();
  assert.equal((await kit.activities.provisionClient({ subscriptionId: subscription.id })).serverId, a.id);
  const b = await panelServer();
  return { a, b, subscription, ...kit };
}

function clientsOn(serverId: number, email: string | null) {
  return fake(serverId)
    .state.clients()
    .filter(({ client }) => client['email'] === email)
    .map(({ client }) => client);
}

async function usersOn(serverId: number): Promise<number> {
  return (await getServer(pool, serverId))?.current_users ?? -1;
}

/** The user's key works: the row's server holds its client, enabled, with the recorded identity. */
async function assertKeyWorks(subscriptionId: number, where: string): Promise<SubscriptionRow> {
  const row = await getSubscription(pool, subscriptionId);
  assert.ok(row?.server_id && row.xui_email, `${where}: the row names a server and a client`);
  assert.equal(row.server_slot_held, true, `${where}: it holds its slot`);
  const [client, ...others] = clientsOn(row.server_id, row.xui_email);
  assert.equal(others.length, 0, `${where}: one client on its server`);
  assert.equal(client?.['id'], row.xui_client_uuid, `${where}: the recorded identity is live on server ${row.server_id}`);
  assert.equal(client?.['enable'], true, `${where}: enabled`);
  assert.match(
    row.vpn_key ?? '',
    new RegExp(`@mv-${(await getServer(pool, row.server_id))?.name.slice(3)}\\.example:`),
    `${where}: the key points at its server`,
  );
  return row;
}

/** current_users of each server equals the rows holding (or moving to) a slot there. */
async function assertSlotCounts(...serverIds: number[]): Promise<void> {
  assert.deepEqual(await listSlotCountMismatches(pool), []);
  for (const id of serverIds) {
    const counted = await pool.oneFirst(sql.type(z.object({ n: z.number() }))`
      SELECT ((SELECT count(*) FROM subscriptions WHERE server_id = ${id} AND server_slot_held)
            + (SELECT count(*) FROM subscriptions WHERE move_target_server_id = ${id}))::int AS n`);
    assert.equal(await usersOn(id), counted, `slot count of server ${id}`);
  }
}

describe('two-phase moves', () => {
  it('finding 5: a move whose new client cannot be made leaves the row on the old server, and the reconciler keeps the old client', async () => {
    const { a, b, subscription, activities, reconcilePanel } = await onA();
    const before = await assertKeyWorks(subscription.id, 'before the move');
    // As a failover does: A closed to new subscriptions, and the target's panel is dead too.
    // (Before the fix: A's slot released, the row switched to B, B failed, and the reconciler on A
    // then deleted the only working client as "left behind by a move".)
    await setServerActive(pool, { serverId: a.id, active: false, actor: testActor });
    fake(b.id).controls.setDown(true);

    await assert.rejects(
      activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } }),
      (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'PANEL_UNAVAILABLE');
        assert.equal(error.nonRetryable, false);
        return true;
      },
    );
    const row = await assertKeyWorks(subscription.id, 'after the failed move');
    assert.equal(row.server_id, a.id, 'the row still names the old server');
    assert.equal(row.move_target_server_id, null, 'the reservation is given back');
    assert.equal(await usersOn(b.id), 0);
    await assertSlotCounts(a.id, b.id);

    const report = await reconcilePanel({ serverId: a.id });
    assert.deepEqual(report.fixed, [], 'the reconciler finds nothing to delete on A');
    await assertKeyWorks(subscription.id, 'after reconciling A');

    // B answers again (the probe marks it up); the retried move lands there.
    fake(b.id).controls.setDown(false);
    await activities.probePanel({ serverId: b.id });
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } })).serverId, b.id);
    const moved = await assertKeyWorks(subscription.id, 'after the move');
    assert.equal(moved.server_id, b.id);
    assert.equal(moved.sub_token, before.sub_token, 'the /sub URL is unchanged');
    assert.equal(moved.xui_client_uuid, before.xui_client_uuid, 'the same identity');
    assert.equal(await usersOn(a.id), 0, 'the old slot is given back');
    assert.equal(await usersOn(b.id), 1);
    assert.equal(await countAuditLogs(pool, { action: 'subscription.moved', entityId: subscription.id }), 1);

    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: a.id, reason: 'moved' }), {
      deleted: true,
      disabledInstead: false,
    });
    assert.equal(clientsOn(a.id, moved.xui_email).length, 0);
    assert.deepEqual((await reconcilePanel({ serverId: a.id })).fixed, []);
    assert.deepEqual((await reconcilePanel({ serverId: b.id })).fixed, []);
    await assertKeyWorks(subscription.id, 'at the end');
  });

  it('a crash between any two steps leaves a working key, the reconciler breaks nothing, and the retry finishes with one client', async () => {
    const { a, b, subscription, activities, reconcilePanel } = await onA();
    const email = (await getSubscription(pool, subscription.id))?.xui_email ?? null;
    const reconcileBoth = async (where: string) => {
      for (const id of [a.id, b.id]) {
        const report = await reconcilePanel({ serverId: id });
        assert.deepEqual(report.unresolved, [], `${where}: nothing unresolved on ${id}`);
      }
      await assertKeyWorks(subscription.id, `${where}, reconciled`);
      await assertSlotCounts(a.id, b.id);
    };

    // Crash 1: after the target's slot was reserved, before the new client exists.
    const reserved = await reserveMoveTarget(pool, {
      subscriptionId: subscription.id,
      fromServerId: a.id,
      requirePanel: true,
      actor: testActor,
    });
    assert.equal(reserved.server.id, b.id);
    assert.equal(await usersOn(b.id), 1, 'the target slot is held');
    await reconcileBoth('crashed after the reservation');

    // Crash 2: the new client made on B, the row not switched yet.
    const api = createPanelClient({
      baseUrl: fake(b.id).url,
      webBasePath: '',
      username: 'admin',
      password: PASSWORD,
      apiVersion: 'v3',
      timeoutMs: 1_000,
    });
    const row = await getSubscription(pool, subscription.id);
    assert.ok(row?.end_date);
    const want = desiredClient(identityOf(subscription.id, row, SALT), await api.getInbound(1), limitsOf(null), {
      enable: true,
      expiryTime: row.end_date.getTime(),
    });
    assert.equal((await ensureClient(api, 1, want)).action, 'created');
    await reconcileBoth('crashed after the new client was made');
    assert.equal(clientsOn(b.id, email).length, 1, 'the reconciler leaves the move target alone');
    assert.equal((await getSubscription(pool, subscription.id))?.server_id, a.id);

    // The retry resumes the same move: same target, nothing reserved twice, then switches.
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } })).serverId, b.id);
    assert.equal(await usersOn(b.id), 1);
    assert.equal(await usersOn(a.id), 0);

    // Crash 3: switched, the old client not deleted yet. A retried activity is a no-op move.
    await reconcileBoth('crashed after the switch');
    assert.equal(clientsOn(a.id, email).length, 0, 'the reconciler deletes the leftover on A once the row names B');
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } })).serverId, b.id);
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: a.id, reason: 'moved' }), {
      deleted: false,
      disabledInstead: false,
    });
    assert.equal(clientsOn(b.id, email).length, 1, 'exactly one client, on B');
    await reconcileBoth('at the end');
  });

  it('the new client made but its answer lost: the reservation is given back, the orphan cleaned up, and the retry lands on another server', async () => {
    const { a, b, subscription } = await onA();
    const c = await panelServer();
    const email = (await getSubscription(pool, subscription.id))?.xui_email ?? null;
    // B's panel applies the add, then the connection drops before the answer.
    let loseNextAdd = true;
    const lossy: typeof globalThis.fetch = async (url, init) => {
      const response = await fetch(url, init);
      if (loseNextAdd && String(url).startsWith(fake(b.id).url) && String(url).endsWith('/panel/api/clients/add')) {
        loseNextAdd = false;
        throw new TypeError('fetch failed');
      }
      return response;
    };
    const { activities, reconcilePanel } = build({ fetch: lossy });
    await assert.rejects(activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id, toServerId: b.id } }));
    assert.equal(loseNextAdd, false, 'the fault was injected');
    assert.equal(clientsOn(b.id, email).length, 1, 'the panel did make it');
    await assertKeyWorks(subscription.id, 'after the lost answer');
    assert.equal((await getSubscription(pool, subscription.id))?.server_id, a.id);
    assert.equal((await getServer(pool, b.id))?.status, 'down', 'B is skipped for a while');
    await assertSlotCounts(a.id, b.id, c.id);

    assert.equal(
      (await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id, toServerId: b.id } })).serverId,
      c.id,
    );
    await assertKeyWorks(subscription.id, 'moved to C');
    await assertSlotCounts(a.id, b.id, c.id);
    await activities.deleteClient({ subscriptionId: subscription.id, serverId: a.id, reason: 'moved' });
    assert.deepEqual(
      (await reconcilePanel({ serverId: b.id })).fixed.map((finding) => finding.kind),
      ['extra'],
      'the orphan on B is deleted',
    );
    assert.equal(clientsOn(b.id, email).length, 0);
    assert.equal(clientsOn(a.id, email).length, 0);
    assert.equal(clientsOn(c.id, email).length, 1, 'exactly one client, on C');
  });

  it('the old client after a move: deferred while its panel is dead, kept when the subscription lives there', async () => {
    const { a, b, subscription, activities } = await onA();
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } })).serverId, b.id);
    fake(a.id).controls.setDown(true);
    const started = performance.now();
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: a.id, reason: 'moved' }), {
      deleted: false,
      disabledInstead: false,
      deferred: true,
    });
    assert.ok(performance.now() - started < 5_000, 'a dead panel does not hold the move up');
    assert.deepEqual(await activities.deleteClient({ subscriptionId: subscription.id, serverId: b.id, reason: 'moved' }), {
      deleted: false,
      disabledInstead: false,
      kept: true,
    });
    await assertKeyWorks(subscription.id, 'after both');
  });
});

describe('the reconciler and the subscription workflow', () => {
  it('moving back to a server with a leftover client: the reconciler leaves the move target alone', async () => {
    const { a, b, subscription, activities, reconcilePanel } = await onA();
    const email = (await getSubscription(pool, subscription.id))?.xui_email ?? null;
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } })).serverId, b.id);
    // The old client is still on A (the workflow's delete has not run) when a move back to A starts.
    await reserveMoveTarget(pool, {
      subscriptionId: subscription.id,
      fromServerId: b.id,
      preferServerId: a.id,
      requirePanel: true,
      actor: testActor,
    });
    assert.deepEqual((await reconcilePanel({ serverId: a.id })).fixed, [], 'not deleted: it is the move target');
    assert.equal(clientsOn(a.id, email).length, 1);
    assert.equal(
      (await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: b.id, toServerId: a.id } })).serverId,
      a.id,
    );
    await assertKeyWorks(subscription.id, 'moved back');
    await assertSlotCounts(a.id, b.id);
  });

  it('a repair waits for the subscription row: while the workflow holds it, nothing is touched (SUBSCRIPTION_BUSY)', async () => {
    const { a, b, subscription, activities } = await onA();
    const email = (await getSubscription(pool, subscription.id))?.xui_email ?? null;
    assert.equal((await activities.provisionClient({ subscriptionId: subscription.id, move: { fromServerId: a.id } })).serverId, b.id);
    const { reconcilePanel } = build({ lockTimeoutMs: 200 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`SELECT id FROM subscriptions WHERE id = ${subscription.id} FOR UPDATE`);
      locked();
      await held;
    });
    await isLocked;
    const report = await reconcilePanel({ serverId: a.id });
    release();
    await holder;
    assert.deepEqual(report.fixed, []);
    assert.deepEqual(
      report.unresolved.map((finding) => [finding.kind, finding.error]),
      [['extra', SUBSCRIPTION_BUSY]],
    );
    assert.equal(clientsOn(a.id, email).length, 1, 'untouched while the row was held');
    assert.deepEqual(
      (await reconcilePanel({ serverId: a.id })).fixed.map((finding) => finding.kind),
      ['extra'],
      'done on the next run',
    );
    assert.equal(clientsOn(a.id, email).length, 0);
  });

  it('a lost client of a subscription whose workflow runs is handed to that workflow (ensureClient), not re-created beside it', async () => {
    const a = await panelServer();
    const subscription = await newActiveSubscription(pool);
    const signals: Array<{ workflowId: string; name: string; payload: unknown }> = [];
    let running = true;
    const temporal = {
      workflow: {
        getHandle: (workflowId: string) => ({
          signal: async (name: string, payload: unknown) => {
            if (!running) throw new WorkflowNotFoundError('not found', workflowId, undefined);
            signals.push({ workflowId, name, payload });
          },
        }),
      },
    } as unknown as Client;
    const { activities, reconcilePanel } = build({ temporal });
    await activities.provisionClient({ subscriptionId: subscription.id });
    const row = await getSubscription(pool, subscription.id);
    const inbound = fake(a.id).state.findInbound(1);
    assert.ok(inbound && row?.xui_email);
    fake(a.id).state.writeClients(
      inbound,
      fake(a.id)
        .state.readClients(inbound)
        .filter((client) => client['email'] !== row.xui_email),
    );
    fake(a.id).state.removeTrafficRow(row.xui_email);

    const report = await reconcilePanel({ serverId: a.id });
    assert.deepEqual(
      report.signalled.map((finding) => finding.kind),
      ['missing'],
    );
    assert.deepEqual(report.fixed, []);
    assert.deepEqual(signals, [
      {
        workflowId: subscriptionWorkflowId(subscription.id),
        name: SignalName.ensureClient,
        payload: { reason: 'reconciler:missing-client' },
      },
    ]);
    assert.equal(clientsOn(a.id, row.xui_email).length, 0, 'the workflow re-creates it, not the reconciler');
    assert.equal(await countAuditLogs(pool, { action: 'panel_client.ensure_requested', entityId: subscription.id }), 1);

    // No workflow runs for it: nothing to race, so the reconciler re-creates it under the row lock.
    running = false;
    const direct = await reconcilePanel({ serverId: a.id });
    assert.deepEqual(
      direct.fixed.map((finding) => finding.kind),
      ['missing'],
    );
    await assertKeyWorks(subscription.id, 're-created by the reconciler');
  });
});
