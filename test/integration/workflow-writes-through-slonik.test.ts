/**
 * The foundation's chain, end to end on real servers: a workflow on the Temporal dev server
 * runs an activity that writes rows to Postgres through slonik; signals and search attributes
 * work as operators will use them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { createPanelResolver } from '../../lib/xui/panel-for-server';
import { createWorker } from '../../workers/create-worker';
import { SubscriptionStatusAttribute, UserIdAttribute, subscriptionWorkflowId } from '../../workflows/contract';
import { cancelSignal, getStateQuery, paymentCompletedSignal, subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { connectTestTemporal, eventually, type TestTemporal } from '../support/test-temporal';

describe('workflow -> activity -> slonik -> Postgres', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;

  before(async () => {
    database = await createTestDatabase();
    temporal = await connectTestTemporal();
  });
  after(async () => {
    await temporal?.close();
    await database?.drop();
  });

  it('records each applied event once, even when a signal is delivered twice', async () => {
    const taskQueue = temporal.uniqueTaskQueue('chain');
    const subscriptionId = Math.floor(Math.random() * 1e9);
    const userId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      INSERT INTO users (telegram_id, first_name) VALUES (${subscriptionId}, 'Chain') RETURNING id`);
    const worker = await createWorker({
      connection: temporal.nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: {
        db: database.pool,
        logger: createLogger({ level: 'silent' }),
        panels: createPanelResolver({ db: database.pool, secretBox: createSecretBox(randomBytes(32)), timeoutMs: 1_000 }),
        clientIdSalt: 'integration-test-salt-0123',
        publicBaseUrl: 'http://127.0.0.1:3000',
      },
    });

    const finalState = await worker.runUntil(async () => {
      const workflowId = subscriptionWorkflowId(subscriptionId);
      const handle = await temporal.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue,
        args: [{ subscriptionId, userId, planId: 1 }],
        typedSearchAttributes: [
          { key: UserIdAttribute, value: String(userId) },
          { key: SubscriptionStatusAttribute, value: 'awaiting_payment' },
        ],
      });
      await handle.signal(paymentCompletedSignal, { paymentId: 7 });
      await handle.signal(paymentCompletedSignal, { paymentId: 7 });
      const active = await eventually(async () => {
        const state = await handle.query(getStateQuery);
        return state.status === 'active' ? state : undefined;
      }, 10_000, 'active state');
      assert.deepEqual(active.seenPaymentIds, [7]);
      await handle.signal(cancelSignal);
      const result = await handle.result();
      const listed = await eventually(async () => {
        for await (const execution of temporal.client.workflow.list({
          query: `WorkflowId = '${workflowId}' AND SubscriptionStatus = 'cancelled' AND UserId = '${userId}'`,
        })) {
          return execution;
        }
        return undefined;
      }, 15_000, 'visibility by search attributes');
      assert.equal(listed.workflowId, workflowId);
      return result;
    });

    assert.equal(finalState.status, 'cancelled');
    const rows = await database.pool.any(sql.type(z.object({ action: z.string(), user_id: z.number(), details: z.unknown() }))`
      SELECT action, user_id, details FROM audit_logs WHERE entity_type = 'subscription' AND entity_id = ${subscriptionId} ORDER BY id`);
    assert.deepEqual(
      rows.map((row) => row.action),
      ['subscription.workflow_started', 'subscription.paymentCompleted', 'subscription.cancel'],
    );
    assert.ok(rows.every((row) => row.user_id === userId));
    assert.deepEqual(rows[1]?.details, { paymentId: 7 });
  });
});
