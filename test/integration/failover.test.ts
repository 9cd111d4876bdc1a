/**
 * Failover on the real Temporal dev server: the health probe marks a dead panel down; once it has
 * been down past the (short) threshold the next probe run starts `failover-server-{id}`, which
 * closes the server and signals every active subscription on it (stub workflows record the
 * signal; one without a workflow is reported, not fatal). A panel that comes back before the
 * threshold (a flap) triggers nothing, and a failover that finds the panel answering aborts.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import type { AlertInput } from '../../activities/contracts/alert-activities';
import { createFleetActivities } from '../../activities/fleet-activities';
import { createPanelActivities } from '../../activities/panel-activities';
import type { FakePanel } from '../../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { claimServerSlot } from '../../sql/repositories/server-slots-repository';
import { getServer, setServerActive } from '../../sql/repositories/servers-repository';
import { newActiveSubscription, testActor } from '../support/db-fixtures';
import { failoverWorkflowId, SignalName, subscriptionWorkflowId } from '../../workflows/contract';
import type { PanelHealthResult } from '../../workflows/panel-health-workflow';
import type { ServerFailoverResult } from '../../workflows/server-failover-workflow';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startPanelServer, type PanelServer } from '../support/panel-server';
import { connectTestTemporal, type TestTemporal } from '../support/test-temporal';
import { moveRecorderWorkflow, movesQuery, panelHealthWorkflow, serverFailoverWorkflow } from './fleet-test-workflows';

const box = createSecretBox(randomBytes(32));
const panels: FakePanel[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let db: TestDatabase;
let temporal: TestTemporal;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
const alerts: AlertInput[] = [];
const alertOperators = async (alert: AlertInput) => {
  alerts.push(alert);
  return { sent: true, duplicate: false, suppressed: false };
};

before(async () => {
  db = await createTestDatabase();
  // Ids far from other test files' on the shared dev server: workflow ids embed them.
  await db.pool.query(sql.unsafe`SELECT setval('subscriptions_id_seq', ${randomInt(1e8, 2e9)})`);
  await db.pool.query(sql.unsafe`SELECT setval('vpn_servers_id_seq', ${randomInt(1e8, 2e9)})`);
  temporal = await connectTestTemporal();
  taskQueue = temporal.uniqueTaskQueue('failover');
  const logger = createLogger({ level: 'silent' });
  const resolver = createPanelResolver({ db: db.pool, secretBox: box, timeoutMs: 1_000 });
  worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./fleet-test-workflows.ts', import.meta.url)),
    activities: {
      ...createPanelActivities({
        db: db.pool,
        logger,
        panels: resolver,
        clientIdSalt: 'failover-salt-0123456789',
        publicBaseUrl: 'https://vpn.example.com',
      }),
      ...createFleetActivities({ db: db.pool, logger, temporal: temporal.client, alertOperators }),
    },
  });
  running = worker.run();
});
after(async () => {
  worker?.shutdown();
  await running;
  await temporal?.close();
  await Promise.all(panels.map((panel) => panel.close()));
  await db?.drop();
});

async function panelServer(name: string): Promise<PanelServer> {
  const made = await startPanelServer(db.pool, box, { name, endpoint: `${name}.example:443`, password: 'pw-0123456789' });
  panels.push(made.panel);
  return made;
}

/** An active subscription holding a slot on the server. */
async function subscriptionOn(serverId: number): Promise<number> {
  const subscription = await newActiveSubscription(db.pool);
  await claimServerSlot(db.pool, { subscriptionId: subscription.id, preferServerId: serverId, actor: testActor });
  return subscription.id;
}

async function startRecorder(subscriptionId: number) {
  return temporal.client.workflow.start(moveRecorderWorkflow, { workflowId: subscriptionWorkflowId(subscriptionId), taskQueue });
}

async function probeRun(failoverAfterSeconds: number, autoReopenAfterSeconds?: number): Promise<PanelHealthResult> {
  const input = { failoverAfterSeconds, ...(autoReopenAfterSeconds === undefined ? {} : { autoReopenAfterSeconds }) };
  return temporal.client.workflow.execute(panelHealthWorkflow, { workflowId: `health-${randomInt(1e9)}`, taskQueue, args: [input] });
}

describe('panel health probe and server failover', () => {
  it('moves the subscriptions of a server down past the threshold, once', async () => {
    const dead = await panelServer('dead');
    const healthy = await panelServer('healthy');
    const [a, b, orphan] = [
      await subscriptionOn(dead.server.id),
      await subscriptionOn(dead.server.id),
      await subscriptionOn(dead.server.id),
    ];
    const recorders = [await startRecorder(a), await startRecorder(b)];
    dead.panel.controls.setDown(true);

    const first = await probeRun(2);
    assert.deepEqual(first.down, [dead.server.id]);
    assert.deepEqual(first.failoversStarted, [], 'just went down: not past the threshold yet');
    assert.ok((await getServer(db.pool, dead.server.id))?.down_since);

    await sleep(2_100);
    const second = await probeRun(2);
    assert.deepEqual(second.failoversStarted, [dead.server.id]);
    const failover: ServerFailoverResult = await temporal.client.workflow.getHandle(failoverWorkflowId(dead.server.id)).result();
    assert.deepEqual(failover, {
      serverId: dead.server.id,
      outcome: 'moves-signalled',
      deactivated: true,
      signalled: [a, b],
      missing: [orphan],
    });

    for (const recorder of recorders)
      assert.deepEqual(await recorder.query(movesQuery), [{ fromServerId: dead.server.id, reason: 'failover' }]);
    assert.equal((await getServer(db.pool, dead.server.id))?.is_active, false);
    assert.equal((await getServer(db.pool, healthy.server.id))?.is_active, true);
    assert.equal(await countAuditLogs(db.pool, { action: 'server.deactivated', entityId: dead.server.id }), 1);

    const third = await probeRun(2);
    assert.deepEqual(third.failoversStarted, [], 'a failed-over (closed) server is not failed over again');
    for (const recorder of recorders) await recorder.signal(SignalName.cancel);
  });

  it('does nothing for a panel that comes back before the threshold, and a failover of a live panel aborts', async () => {
    const flappy = await panelServer('flappy');
    const subscriptionId = await subscriptionOn(flappy.server.id);
    const recorder = await startRecorder(subscriptionId);

    flappy.panel.controls.setDown(true);
    assert.ok((await probeRun(2)).down.includes(flappy.server.id));
    flappy.panel.controls.setDown(false);
    await sleep(2_100);
    const back = await probeRun(2);
    assert.ok(!back.down.includes(flappy.server.id));
    assert.deepEqual(back.failoversStarted, []);
    assert.equal((await getServer(db.pool, flappy.server.id))?.down_since, null);

    // Even a failover started directly (as if the probe had been a moment earlier) aborts.
    const aborted = await temporal.client.workflow.execute(serverFailoverWorkflow, {
      workflowId: failoverWorkflowId(flappy.server.id),
      taskQueue,
      args: [{ serverId: flappy.server.id }],
    });
    assert.equal(aborted.outcome, 'aborted-server-up');
    assert.equal((await getServer(db.pool, flappy.server.id))?.is_active, true);
    assert.deepEqual(await recorder.query(movesQuery), []);
    await recorder.signal(SignalName.cancel);
  });

  it('keeps probing a failed-over server and re-opens it automatically once healthy long enough, never one an operator closed', async () => {
    const failed = await panelServer('comeback');
    const closedByHand = await panelServer('closed-by-hand');
    await setServerActive(db.pool, { serverId: closedByHand.server.id, active: false, actor: testActor });
    const subscriptionId = await subscriptionOn(failed.server.id);
    const recorder = await startRecorder(subscriptionId);
    failed.panel.controls.setDown(true);
    await probeRun(2);
    await sleep(2_100);
    assert.ok((await probeRun(2)).failoversStarted.includes(failed.server.id));
    await temporal.client.workflow.getHandle(failoverWorkflowId(failed.server.id)).result();
    assert.equal((await getServer(db.pool, failed.server.id))?.closed_reason, 'failover');

    failed.panel.controls.setDown(false);
    const back = await probeRun(2, 1);
    assert.ok(!back.down.includes(failed.server.id), 'the closed server is probed and seen up');
    assert.ok((await getServer(db.pool, failed.server.id))?.up_since, 'up_since recorded for the closed server');
    assert.deepEqual(back.reopened, [], 'not healthy for long enough yet');
    await sleep(1_100);
    const later = await probeRun(2, 1);
    assert.deepEqual(later.reopened, [failed.server.id]);
    const reopened = await getServer(db.pool, failed.server.id);
    assert.equal(reopened?.is_active, true);
    assert.equal(reopened?.closed_reason, null);
    assert.equal((await getServer(db.pool, closedByHand.server.id))?.is_active, false, 'an operator-closed server stays closed');
    assert.equal(await countAuditLogs(db.pool, { action: 'server.reopened', entityId: failed.server.id }), 1);
    assert.ok(alerts.some((alert) => alert.kind === 'server_reopened' && alert.serverId === failed.server.id));
    assert.deepEqual((await probeRun(2, 1)).reopened, [], 'an open server is not re-opened again');
    await recorder.signal(SignalName.cancel);
  });
});
