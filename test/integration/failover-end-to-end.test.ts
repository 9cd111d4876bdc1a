/**
 * Failover with the real subscription workflow, every real activity, two fake 3X-UI panels and
 * the fake Telegram: a paid subscription lives on server A; A's panel dies; the health sweep
 * (short threshold) starts the failover, which signals the subscription; the subscription
 * provisions the same client identity on B, keeps its /sub URL, and sends the user the key
 * again with a "moved" message. A repeated failover signal changes nothing. Traffic sync then
 * reads B only (A is closed); once A answers again the reconciler leaves the closed A's leftover
 * client alone (a closed server's deletions wait) until an operator re-opens A, then deletes it.
 *
 * With RECORD_HISTORIES=1 it records the health, failover, traffic-sync and reconcile runs for
 * the replay suite (test/histories/).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { notificationLocale, renderNotification } from '../../texts/notifications/notification-texts';
import { getServer, reopenServer } from '../../sql/repositories/servers-repository';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { failoverWorkflowId, ScheduleId, subscriptionWorkflowId } from '../../workflows/contract';
import { panelHealthWorkflow, type PanelHealthResult } from '../../workflows/panel-health-workflow';
import { panelReconcileWorkflow } from '../../workflows/panel-reconcile-workflow';
import type { ServerFailoverResult } from '../../workflows/server-failover-workflow';
import { cancelUpdate, getStateQuery, moveToServerSignal, paymentCompletedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { trafficSyncWorkflow } from '../../workflows/traffic-sync-workflow';
import { maybeRecordHistory } from '../support/record-history';
import { eventually } from '../support/test-temporal';
import { clientsOn, startWorkerStack, type WorkerStack } from '../support/worker-stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Seconds a server must stay down before the health sweep fails it over (production: 300). */
const FAILOVER_AFTER_SECONDS = 1;

describe('failover end to end with the real subscription workflow', () => {
  let stack: WorkerStack;
  before(async () => {
    stack = await startWorkerStack({ lifecycle: { provisionDelayNoticeSeconds: 5 } });
  });
  after(async () => {
    await stack?.close();
  });

  async function healthSweep(): Promise<{ workflowId: string; result: PanelHealthResult }> {
    const workflowId = `${ScheduleId.panelHealth}-${randomUUID()}`;
    const result = await stack.temporal.client.workflow.execute(panelHealthWorkflow, {
      workflowId,
      taskQueue: stack.config.taskQueue,
      args: [{ failoverAfterSeconds: FAILOVER_AFTER_SECONDS }],
    });
    return { workflowId, result };
  }

  it('moves the subscription off a dead server once, keeps its URL, tells the user, and the reconciler clears the old client', async () => {
    const pool = stack.database.pool;
    const client = stack.temporal.client;
    const a = stack.first;
    await stack.run(async () => {
      // A paid order, provisioned on A (the only active server).
      const user = await newUser(pool);
      const chatId = user.telegram_id;
      const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
      const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
      const handle = await client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId: subscriptionWorkflowId(subscription.id),
        taskQueue: stack.config.taskQueue,
        args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: payment.id }],
      });
      const key = await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === chatId, 20_000);
      await eventually(async () => ((await handle.query(getStateQuery)).phase === 'active' ? true : undefined));
      const onA = await getSubscription(pool, subscription.id);
      assert.ok(onA?.xui_email);
      assert.equal(onA.server_id, a.server.id);
      assert.equal(clientsOn(a, onA.xui_email).length, 1);

      // B joins the fleet; A's panel dies.
      const b = await stack.addPanelServer('DE-1');
      a.panel.controls.setDown(true);

      // The health sweep marks A down, and once it has been down past the threshold starts the failover.
      const firstSweep = await healthSweep();
      assert.deepEqual(firstSweep.result.down, [a.server.id]);
      assert.equal(firstSweep.result.probed, 2);
      let failing = firstSweep;
      if (!firstSweep.result.failoversStarted.includes(a.server.id)) {
        await sleep(FAILOVER_AFTER_SECONDS * 1_000 + 100);
        failing = await healthSweep();
      }
      assert.deepEqual(failing.result.failoversStarted, [a.server.id]);
      const failover: ServerFailoverResult = await client.workflow.getHandle(failoverWorkflowId(a.server.id)).result();
      assert.deepEqual(failover, {
        serverId: a.server.id,
        outcome: 'moves-signalled',
        deactivated: true,
        signalled: [subscription.id],
        missing: [],
      });
      assert.equal((await getServer(pool, a.server.id))?.is_active, false, 'A is closed to new subscriptions');

      // The subscription moves to B and the user gets the key again with a "moved" message.
      const moved = await stack.telegram.waitFor(
        (call) => call.method === 'sendPhoto' && call.chatId === chatId && call.seq > key.seq,
        20_000,
      );
      assert.equal(moved.ok, true);
      const movedLead = renderNotification('moved', notificationLocale(user.language_code)).split('.')[0] ?? '';
      assert.ok(
        String(moved.params['caption'] ?? '').includes(movedLead),
        `the photo says the subscription moved: ${String(moved.params['caption'])}`,
      );
      const state = await eventually(async () => {
        const current = await handle.query(getStateQuery);
        return current.serverId === b.server.id ? current : undefined;
      });
      assert.equal(state.phase, 'active');
      const onB = await getSubscription(pool, subscription.id);
      assert.equal(onB?.server_id, b.server.id);
      assert.equal(onB?.sub_token, onA.sub_token, 'the /sub URL is unchanged');
      assert.equal(onB?.xui_email, onA.xui_email);
      assert.equal(onB?.xui_client_uuid, onA.xui_client_uuid, 'the same client identity');
      assert.match(onB?.vpn_key ?? '', /@de-1\.vpn\.example\.com:/, 'the key points at B');
      const movedClients = clientsOn(b, onA.xui_email);
      assert.equal(movedClients.length, 1, 'one client on B');
      assert.equal(movedClients[0]?.client['id'], onA.xui_client_uuid);
      assert.equal(clientsOn(a, onA.xui_email).length, 1, 'the client on dead A stays until A answers again');

      // A second failover signal (a retried failover) changes nothing.
      const eventsBefore = (await handle.query(getStateQuery)).eventsThisRun;
      const panelCallsOnB = b.panel.controls.calls.length;
      const messagesBefore = stack.telegram.sent(chatId).length;
      await handle.signal(moveToServerSignal, { fromServerId: a.server.id, reason: 'failover' });
      const again = await eventually(async () => {
        const current = await handle.query(getStateQuery);
        return current.eventsThisRun > eventsBefore ? current : undefined;
      });
      assert.equal(again.serverId, b.server.id);
      assert.equal(again.phase, 'active');
      assert.equal(clientsOn(b, onA.xui_email).length, 1, 'still one client on B');
      assert.equal(b.panel.controls.calls.length, panelCallsOnB, 'no panel call for a move from a server it left');
      assert.equal(stack.telegram.sent(chatId).length, messagesBefore, 'no second "moved" message');
      assert.equal((await getSubscription(pool, subscription.id))?.server_id, b.server.id);

      // Traffic sync reads the active servers only (B), and finds the moved client's counters.
      b.panel.state.addTraffic(onA.xui_email, 1_000, 2_345);
      const trafficId = `${ScheduleId.trafficSync}-${randomUUID()}`;
      const traffic = await client.workflow.execute(trafficSyncWorkflow, {
        workflowId: trafficId,
        taskQueue: stack.config.taskQueue,
        args: [{}],
      });
      assert.deepEqual(traffic, { servers: 1, updated: 1, missing: 0, failed: [] });
      assert.equal((await getSubscription(pool, subscription.id))?.traffic_used, 3_345);

      // A answers again but stays closed: its deletions wait (reported), the leftover stays.
      a.panel.controls.setDown(false);
      const waiting = await client.workflow.execute(panelReconcileWorkflow, {
        workflowId: `${ScheduleId.panelReconcile}-${randomUUID()}`,
        taskQueue: stack.config.taskQueue,
        args: [{}],
      });
      assert.deepEqual(waiting.fixed, []);
      assert.deepEqual(
        waiting.unresolved.map((finding) => [finding.kind, finding.error, finding.serverId]),
        [['extra', 'SERVER_INACTIVE', a.server.id]],
      );
      assert.equal(clientsOn(a, onA.xui_email).length, 1, 'nothing deleted on the closed server');

      // An operator re-opens A: the reconciler deletes the client the move left behind, and only that.
      assert.equal(
        (await reopenServer(pool, { serverId: a.server.id, healthyForSeconds: 0, force: true, actor: testActor })).reopened,
        true,
      );
      const reconcileId = `${ScheduleId.panelReconcile}-${randomUUID()}`;
      const reconcile = await client.workflow.execute(panelReconcileWorkflow, {
        workflowId: reconcileId,
        taskQueue: stack.config.taskQueue,
        args: [{}],
      });
      assert.equal(reconcile.servers, 2);
      assert.deepEqual(reconcile.unreachable, []);
      assert.deepEqual(reconcile.unresolved, []);
      assert.deepEqual(
        reconcile.fixed.map((finding) => [finding.kind, 'subscriptionId' in finding ? finding.subscriptionId : null, finding.serverId]),
        [['extra', subscription.id, a.server.id]],
      );
      assert.equal(clientsOn(a, onA.xui_email).length, 0, 'the leftover client on A is deleted');
      assert.equal(clientsOn(b, onA.xui_email).length, 1, 'the live client on B is untouched');

      if (failing !== firstSweep) await maybeRecordHistory(client, firstSweep.workflowId, 'panel-health-probe-server-down');
      await maybeRecordHistory(client, failing.workflowId, 'panel-health-probe-failover-started');
      await maybeRecordHistory(client, failoverWorkflowId(a.server.id), 'failover-server-moves-signalled');
      await maybeRecordHistory(client, trafficId, 'traffic-sync-one-active-server');
      await maybeRecordHistory(client, reconcileId, 'panel-reconcile-leftover-deleted');

      const final = await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      assert.equal(final.phase, 'cancelled');
      assert.equal(clientsOn(b, onA.xui_email).length, 0);
    });
  });
});
