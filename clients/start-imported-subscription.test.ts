/**
 * A subscription taken over from a panel (npm run import-panel) under the real subscription
 * workflow on the time-skipping test server, with in-memory activities: started in the active
 * phase by startImportedSubscription, it provisions nothing and sends no key, reminds at T-72h and
 * T-24h, expires at the imported end, and a second start is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/create-worker';
import { createFakeLifecycle } from '../test/support/fake-lifecycle-activities';
import { installQuietRuntime } from '../test/support/test-temporal';
import { indexedValueType } from './register-search-attributes';
import { SEARCH_ATTRIBUTES, subscriptionWorkflowId } from '../workflows/contract';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../workflows/subscription-lifecycle';
import { getStateQuery } from '../workflows/subscription-messages';
import { startImportedSubscription } from './subscription-workflow-client';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

describe('startImportedSubscription (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  before(async () => {
    const path = process.env.TEST_TEMPORAL_TEST_SERVER;
    if (path === undefined || path === '') throw new Error('TEST_TEMPORAL_TEST_SERVER is not set: run through `npm test`');
    installQuietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, indexedValueType(key.type)])),
    });
  });
  after(async () => {
    await env?.teardown();
  });

  it('runs the imported period: no key sent, reminders, expiry at the imported end; never started twice', async () => {
    const subscriptionId = 4242;
    const fake = createFakeLifecycle(subscriptionId, 7, { now: () => env.currentTimeMs() });
    const endsAt = new Date((await env.currentTimeMs()) + 4 * DAY);
    Object.assign(fake.subscription, { status: 'active', endsAt: endsAt.toISOString(), serverId: 3 });
    const taskQueue = 'imported-lifecycle';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: fake.activities,
    });
    await worker.runUntil(async () => {
      const target = { client: env.client, taskQueue };
      const input = { subscriptionId, userId: 7, planId: 1, serverId: 3, endsAt, settings: DEFAULT_LIFECYCLE_SETTINGS };
      assert.equal(await startImportedSubscription(target, input), 'started');
      assert.equal(await startImportedSubscription(target, input), 'exists');
      const handle = env.client.workflow.getHandle(subscriptionWorkflowId(subscriptionId));
      try {
        const state = await handle.query(getStateQuery);
        assert.deepEqual([state.phase, state.endsAt, state.serverId], ['active', endsAt.toISOString(), 3]);

        await env.sleep(endsAt.getTime() - (await env.currentTimeMs()) - 23 * HOUR);
        const kinds = () => fake.notifications.map((notification) => notification.kind);
        assert.deepEqual(kinds(), ['reminder', 'reminder']);
        assert.equal(fake.namesCalled('provisionClient'), 0, 'the client already exists on the panel');

        await env.sleep(DAY);
        assert.deepEqual(kinds(), ['reminder', 'reminder', 'expired']);
        assert.equal(fake.namesCalled('disableClient'), 1);
        assert.equal((await handle.query(getStateQuery)).phase, 'grace');
      } finally {
        await handle.terminate('test over').catch(() => undefined);
      }
    });
  });
});
