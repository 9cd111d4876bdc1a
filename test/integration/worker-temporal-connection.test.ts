/**
 * The worker's one Temporal connection (workers/temporal-connection.ts): the Worker polls on the
 * NativeConnection while the Client on that same connection starts, signals and queries workflows
 * and manages schedules (what the worker's activities and start-up do), and the connection closes
 * cleanly once the Worker stopped.
 */
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { createSubscriptionWorkflowClient } from '../../clients/subscription-workflow-client';
import { connectWorkerTemporal, type WorkerTemporal } from '../../workers/temporal-connection';
import { SignalName, subscriptionWorkflowId } from '../../workflows/contract';
import { installQuietRuntime } from '../support/test-temporal';
import { moveRecorderWorkflow, movesQuery } from './fleet-test-workflows';

describe('the worker temporal connection', () => {
  let temporal: WorkerTemporal;
  let worker: Worker;
  let running: Promise<void>;
  let closed = false;
  const taskQueue = `worker-connection-${randomUUID()}`;

  before(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (address === undefined || address === '') throw new Error('TEST_TEMPORAL_ADDRESS is not set: run through scripts/test.ts');
    installQuietRuntime();
    temporal = await connectWorkerTemporal({ address, namespace: 'default' });
    worker = await Worker.create({
      connection: temporal.connection,
      namespace: 'default',
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fleet-test-workflows.ts', import.meta.url)),
    });
    running = worker.run();
  });
  after(async () => {
    if (worker !== undefined && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    if (!closed) await temporal?.close();
  });

  it('serves the Worker and the Client at once', async () => {
    const subscriptionId = randomInt(1e9, 2e9);
    const handle = await temporal.client.workflow.start(moveRecorderWorkflow, {
      workflowId: subscriptionWorkflowId(subscriptionId),
      taskQueue,
    });
    const subscriptions = createSubscriptionWorkflowClient(temporal.client);

    assert.equal(await subscriptions.signalMoveToServer(subscriptionId, { fromServerId: 7, reason: 'failover' }), true);
    assert.equal(
      await subscriptions.signalMoveToServer(randomInt(1e9, 2e9), { fromServerId: 7, reason: 'failover' }),
      false,
      'no workflow runs for it',
    );
    const moves = await temporal.client.withDeadline(Date.now() + 20_000, () => handle.query(movesQuery));
    assert.deepEqual(moves, [{ fromServerId: 7, reason: 'failover' }], 'the Worker on the same connection ran the workflow and answered');
    await handle.signal(SignalName.cancel);
    assert.deepEqual(await handle.result(), [{ fromServerId: 7, reason: 'failover' }]);

    const scheduleId = `worker-connection-${randomUUID()}`;
    const schedule = await temporal.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: moveRecorderWorkflow, taskQueue: `${taskQueue}-idle` },
      state: { paused: true },
    });
    assert.equal((await schedule.describe()).state.paused, true, 'schedules go through the same connection');
    await schedule.delete();
  });

  it('closes after the Worker stopped', async () => {
    worker.shutdown();
    await running;
    assert.equal(worker.getState(), 'STOPPED');
    await temporal.close();
    closed = true;
    await assert.rejects(
      temporal.client.workflow.start(moveRecorderWorkflow, { workflowId: `closed-${randomUUID()}`, taskQueue }),
      'a closed connection takes no more calls',
    );
  });
});
