/**
 * A worker that dies in the middle of provisioning (SIGKILL of its process while the panel's
 * add call is in flight: the panel applies the add, the worker never hears back) costs the
 * user a delay, never a second client: the attempt's heartbeat times out, another worker retries
 * provisionClient, finds the client the dead attempt created, records it, and delivers the key.
 *
 * The worker runs in a child process (test/support/worker-process.ts) so the kill is a real
 * crash; the second worker runs in this process on the same task queue. The retry waits for the
 * panel profile's heartbeat timeout (20 s), so this test takes about half a minute.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeTimeoutType } from '@temporalio/common';
import { deriveClientIdentity } from '../../lib/xui/derive-client-identity';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { subscriptionWorkflowId } from '../../workflows/contract';
import { cancelUpdate, getStateQuery, paymentCompletedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { eventually } from '../support/test-temporal';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack';

const ADD_PATH = '/panel/api/clients/add';

describe('worker crash during provisioning', () => {
  let stack: WorkerStack;
  before(async () => {
    // Panel calls are slowed to 1 s while the first worker runs: the timeout must outlast that.
    stack = await startWorkerStack({ panelTimeoutMs: 5_000, lifecycle: { provisionDelayNoticeSeconds: 5 } });
  });
  after(async () => {
    await stack?.close();
  });

  /**
   * Resolves once the panel writes a client with `email`, after calling `crash` synchronously
   * inside that write (the fake's state is the one its routes use), i.e. before the add answers.
   */
  function crashWhenWritten(email: string, crash: () => void): Promise<void> {
    const state = stack.first.panel.state;
    const original = state.writeClients;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        state.writeClients = original;
        reject(new Error(`the panel did not write ${email} within 10 s`));
      }, 10_000);
      state.writeClients = (inbound, clients) => {
        original(inbound, clients);
        if (!clients.some((client) => client['email'] === email)) return;
        state.writeClients = original;
        clearTimeout(timer);
        crash();
        resolve();
      };
    });
  }

  it('the worker killed mid-provision yields exactly one panel client', async (t) => {
    const pool = stack.database.pool;
    const { panel, server } = stack.first;
    const user = await newUser(pool);
    const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    const identity = deriveClientIdentity(subscription.id, stack.config.clientIdSalt);
    const clients = () => panel.state.clients().filter(({ client }) => client['email'] === identity.email);
    const addCalls = () => panel.controls.calls.filter((call) => call.method === 'POST' && call.path === ADD_PATH);

    const doomed = stack.spawnWorker();
    await doomed.ready();

    // Every panel call now takes 1 s, so the add call is seen (it is recorded on arrival) before
    // the panel handles it.
    panel.controls.setLatency(1_000);
    const handle = await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
      workflowId: subscriptionWorkflowId(subscription.id),
      taskQueue: stack.config.taskQueue,
      args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }],
      signal: paymentCompletedSignal,
      signalArgs: [{ paymentId: payment.id }],
    });
    const add = await eventually(async () => addCalls()[0], 20_000, 'the first worker’s add call');
    // The panel applies this add and drops the connection; the worker is killed the moment the
    // client is written, before any answer could leave the panel.
    panel.controls.failNext(1, 'lost');
    await crashWhenWritten(identity.email, doomed.kill);
    await doomed.exited;
    panel.controls.setLatency(0);
    const crashedAt = Date.now();

    assert.equal(clients().length, 1, 'the panel applied the dead worker’s add');
    assert.equal(clients()[0]?.client['id'], identity.uuid);
    const recorded = await getSubscription(pool, subscription.id);
    assert.equal(recorded?.xui_client_uuid, null, 'the dead attempt never recorded the client');

    // Bundled while the dead attempt's heartbeat times out, so it costs no extra time.
    const survivor = await stack.createWorker();
    await survivor.runUntil(async () => {
      const photo = await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === user.telegram_id, 40_000);
      assert.equal(photo.ok, true);
      const retriedAfterMs = Date.now() - crashedAt;
      const state = await eventually(async () => {
        const current = await handle.query(getStateQuery);
        return current.phase === 'active' ? current : undefined;
      });
      assert.equal(state.serverId, server.id);

      const onPanel = clients();
      assert.equal(onPanel.length, 1, 'exactly one panel client for the subscription');
      assert.equal(addCalls().length, 1, 'the retry found the client instead of adding another');
      assert.equal(add.status, 0, 'the dead attempt’s add call never got an answer');
      const row = await getSubscription(pool, subscription.id);
      assert.equal(row?.status, 'active');
      assert.equal(row?.server_id, server.id);
      assert.equal(row?.xui_email, identity.email);
      assert.equal(row?.xui_client_uuid, onPanel[0]?.client['id'], 'the row names the client the panel holds');
      assert.match(row?.vpn_key ?? '', new RegExp(`^vless://${identity.uuid}@`));

      const sent = stack.telegram.sent(user.telegram_id);
      assert.equal(sent.filter((call) => call.method === 'sendPhoto').length, 1, 'the key is sent once');
      assert.ok(
        sent.some((call) => call.method === 'sendMessage'),
        'the user was told the key is delayed',
      );

      // The activity that completed is the retry of the attempt whose heartbeat stopped.
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'provisionClient');
      assert.equal(scheduled.length, 1, 'one provisionClient activity (retried by the server, not rescheduled)');
      const started = events.find(
        (event) => event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled[0]?.eventId?.toString(),
      );
      assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 2);
      assert.equal(
        decodeTimeoutType(started?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType),
        'HEARTBEAT',
      );
      t.diagnostic(`key delivered ${retriedAfterMs} ms after the crash`);

      const final = await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      assert.equal(final.phase, 'cancelled');
      assert.equal(clients().length, 0);
    });
  });
});
