/**
 * Proves the time-skipping test server installed by scripts/test.ts works: a 30-day timer fires
 * while only a moment of real time passes. The real-time bound is deliberately loose (a real
 * 30-day wait would never finish); the measured numbers are printed for the record.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime } from '../support/test-temporal';
import { thirtyDayTimerWorkflow } from './thirty-day-timer-workflow';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;

  before(async () => {
    const path = process.env.TEST_TEMPORAL_TEST_SERVER;
    if (path === undefined || path === '') throw new Error('TEST_TEMPORAL_TEST_SERVER is not set: run through `npm test`');
    installQuietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  });
  after(async () => {
    await env?.teardown();
  });

  it('skips a 30-day timer in far less real time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'time-skipping',
      workflowsPath: fileURLToPath(new URL('./thirty-day-timer-workflow.ts', import.meta.url)),
    });
    const realStart = performance.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(thirtyDayTimerWorkflow, { workflowId: 'thirty-days', taskQueue: 'time-skipping' }),
    );
    const realMs = performance.now() - realStart;
    const skippedMs = result.wokeAt - result.startedAt;
    console.log(`time-skipping: ${(skippedMs / DAY_MS).toFixed(2)} workflow days in ${realMs.toFixed(0)} ms of real time`);
    assert.ok(skippedMs >= 30 * DAY_MS, `workflow clock advanced only ${skippedMs} ms`);
    assert.ok(realMs < 60_000, `took ${realMs} ms of real time`);
  });
});
