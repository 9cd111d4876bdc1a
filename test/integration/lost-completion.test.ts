/**
 * A period activity whose transaction commits but whose completion is lost (the worker dies, the
 * call times out) is retried by Temporal. On the real stack (real activities, Postgres, the fake
 * panel and Telegram), each money/time activity here commits and then fails once: the retry must
 * answer as the first call would have, so the workflow still provisions and delivers the key
 * exactly once. Before period_changes the retry answered "not applied" and nothing was provisioned.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities/create-activities';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { createWorker } from '../../workers/create-worker';
import { subscriptionWorkflowId } from '../../workflows/contract';
import { cancelUpdate, getStateQuery, paymentCompletedSignal, trialGrantedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { eventually } from '../support/test-temporal';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack';

type Activities = ReturnType<typeof createActivities>;

describe('a completion lost after the commit', () => {
  let stack: WorkerStack;
  before(async () => {
    stack = await startWorkerStack();
  });
  after(async () => {
    await stack?.close();
  });

  /** The real activities, with `name` committing and then failing (retryably) on its first call. */
  function losingFirstCompletion(name: 'applyPayment' | 'grantTrial', calls: { count: number }): Activities {
    const real = createActivities(stack.deps);
    const original = real[name] as (input: never) => Promise<unknown>;
    return {
      ...real,
      [name]: async (input: never) => {
        const result = await original(input);
        calls.count += 1;
        if (calls.count === 1) throw ApplicationFailure.retryable('completion lost after the commit', 'WORKER_LOST');
        return result;
      },
    };
  }

  for (const source of ['payment', 'trial'] as const) {
    it(`${source}: the retry answers with the recorded result and the key is delivered once`, async () => {
      const pool = stack.database.pool;
      const user = await newUser(pool);
      const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
      const payment =
        source === 'payment' ? await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true }) : null;
      const calls = { count: 0 };
      const activities = losingFirstCompletion(source === 'payment' ? 'applyPayment' : 'grantTrial', calls);
      const worker = await createWorker({
        connection: stack.temporal.nativeConnection,
        namespace: 'default',
        taskQueue: stack.config.taskQueue,
        deps: stack.deps,
        shutdownGraceTimeMs: 1_000,
        overrides: { activities },
      });
      await worker.runUntil(async () => {
        const start = {
          workflowId: subscriptionWorkflowId(subscription.id),
          taskQueue: stack.config.taskQueue,
          args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }] as [never],
        };
        const handle =
          payment === null
            ? await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
                ...start,
                signal: trialGrantedSignal,
                signalArgs: [{ days: 3 }],
              })
            : await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
                ...start,
                signal: paymentCompletedSignal,
                signalArgs: [{ paymentId: payment.id }],
              });
        await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === user.telegram_id, 30_000);
        const state = await eventually(async () => {
          const current = await handle.query(getStateQuery);
          return current.phase === 'active' ? current : undefined;
        });
        assert.equal(calls.count, 2, 'the first completion was lost and the activity retried');
        const row = await getSubscription(pool, subscription.id);
        assert.equal(row?.status, 'active');
        assert.equal(row?.server_id, state.serverId);
        assert.notEqual(row?.xui_email, null, 'the client exists');
        assert.equal(
          await countAuditLogs(pool, { action: 'subscription.extended', entityId: subscription.id }),
          1,
          'the period moved once',
        );
        const photos = stack.telegram.sent(user.telegram_id).filter((call) => call.method === 'sendPhoto');
        assert.equal(photos.length, 1, 'the key is sent once');
        await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      });
    });
  }
});
