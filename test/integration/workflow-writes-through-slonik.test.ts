/**
 * The foundation's chain on real servers: a workflow on the Temporal dev server runs activities
 * that write rows through slonik (the subscription's status and its audit row, in one
 * transaction), and the workflow's search attributes are what operators query by.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listAuditLogs } from '../../sql/repositories/audit-repository';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newUser, testActor } from '../support/db-fixtures';
import { UserIdAttribute, subscriptionWorkflowId } from '../../workflows/contract';
import { cancelSignal, getStateQuery } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { startRealStack, type RealStack } from '../support/real-stack';
import { eventually } from '../support/test-temporal';

describe('workflow -> activity -> slonik -> Postgres', () => {
  let stack: RealStack;
  before(async () => {
    stack = await startRealStack();
  });
  after(async () => {
    await stack?.close();
  });

  it('cancels a pending subscription: the row and its audit entry are written, the status is searchable', async () => {
    const pool = stack.database.pool;
    const user = await newUser(pool);
    const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
    const workflowId = subscriptionWorkflowId(subscription.id);
    const final = await stack.run(async () => {
      const handle = await stack.temporal.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue: stack.taskQueue,
        args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }],
        typedSearchAttributes: [{ key: UserIdAttribute, value: String(user.id) }],
      });
      assert.equal((await handle.query(getStateQuery)).phase, 'awaiting_payment');
      await handle.signal(cancelSignal, {});
      return handle.result();
    });
    assert.equal(final.phase, 'cancelled');
    assert.equal((await getSubscription(pool, subscription.id))?.status, 'cancelled');
    const audit = await listAuditLogs(pool, { entityType: 'subscription', entityId: subscription.id });
    const cancelled = audit.find((row) => row.action === 'subscription.cancelled');
    assert.ok(cancelled !== undefined, 'the cancellation is audited');
    assert.equal(cancelled.actor, 'user');
    assert.equal(cancelled.user_id, user.id);
    const listed = await eventually(
      async () => {
        for await (const execution of stack.temporal.client.workflow.list({
          query: `WorkflowId = '${workflowId}' AND SubscriptionStatus = 'cancelled' AND UserId = '${user.id}'`,
        })) {
          return execution;
        }
        return undefined;
      },
      15_000,
      'visibility by search attributes',
    );
    assert.equal(listed.workflowId, workflowId);
  });
});
