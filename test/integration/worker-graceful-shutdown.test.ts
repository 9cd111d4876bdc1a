/**
 * Graceful shutdown of a worker loses no work: SIGTERM (what `docker stop` and `docker compose up`
 * send) while provisioning's panel call is in flight lets that activity finish and record its
 * result within the shutdown grace, and the process exits 0. The next worker continues from
 * there: the key is delivered with exactly one panel client and no second add call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deriveClientIdentity } from '../../lib/xui/derive-client-identity';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { subscriptionWorkflowId } from '../../workflows/contract';
import { paymentCompletedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { eventually } from '../support/test-temporal';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack';

const ADD_PATH = '/panel/api/clients/add';

describe('worker graceful shutdown', () => {
  let stack: WorkerStack;
  before(async () => {
    stack = await startWorkerStack({ panelTimeoutMs: 5_000 });
  });
  after(async () => {
    await stack?.close();
  });

  it('SIGTERM mid-provision: the running activity completes and records, the process exits 0', async () => {
    const pool = stack.database.pool;
    const { panel } = stack.first;
    const user = await newUser(pool);
    const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    const identity = deriveClientIdentity(subscription.id, stack.config.clientIdSalt);
    const addCalls = () => panel.controls.calls.filter((call) => call.method === 'POST' && call.path === ADD_PATH);

    const draining = stack.spawnWorker();
    await draining.ready();
    // Each panel call takes 400 ms: the add is in flight when SIGTERM arrives, and it and the
    // recording after it fit in the worker's 1 s shutdown grace.
    panel.controls.setLatency(400);
    await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
      workflowId: subscriptionWorkflowId(subscription.id),
      taskQueue: stack.config.taskQueue,
      args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }],
      signal: paymentCompletedSignal,
      signalArgs: [{ paymentId: payment.id }],
    });
    await eventually(async () => addCalls()[0], 20_000, 'the add call');
    draining.child.kill('SIGTERM');
    assert.equal(await draining.exited, 0, draining.output().slice(-2000));
    panel.controls.setLatency(0);

    const recorded = await getSubscription(pool, subscription.id);
    assert.equal(
      recorded?.xui_client_uuid,
      identity.uuid,
      'the in-flight activity finished and recorded the client before the worker exited',
    );

    const next = await stack.createWorker();
    await next.runUntil(async () => {
      const photo = await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === user.telegram_id, 30_000);
      assert.equal(photo.ok, true);
    });
    assert.equal(addCalls().length, 1, 'nothing was redone');
    assert.equal(panel.state.clients().filter(({ client }) => client['email'] === identity.email).length, 1);
  });
});
