/**
 * ensureSchedules on the real Temporal dev server (the time-skipping server has no Schedules):
 * creates the fleet's schedules once, changes nothing on a repeat, updates only the schedule
 * whose interval changed, and keeps an operator's pause.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureSchedules, fleetSchedules, type FleetScheduleSettings } from '../../clients/ensure-schedules';
import { triggerBackupNow } from '../../clients/backup-schedule-client';
import { ScheduleId } from '../../workflows/contract';
import { testScheduleSettings } from '../support/schedule-settings';
import { connectTestTemporal, eventually, type TestTemporal } from '../support/test-temporal';

describe('ensureSchedules', () => {
  let temporal: TestTemporal;
  const ids = [ScheduleId.panelHealth, ScheduleId.trafficSync, ScheduleId.panelReconcile, ScheduleId.paymentReconcile];

  before(async () => {
    temporal = await connectTestTemporal();
  });
  after(async () => {
    for (const id of [...ids, ScheduleId.invariantsCheck, ScheduleId.databaseBackup])
      await temporal.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await temporal?.close();
  });

  it('passes automatic re-opening to the health probe only when it is enabled', () => {
    const settings = testScheduleSettings('schedules');
    const healthArgs = (extra: Partial<FleetScheduleSettings>) =>
      fleetSchedules({ ...settings, ...extra }).find((entry) => entry.scheduleId === ScheduleId.panelHealth)?.args;
    assert.deepEqual(healthArgs({}), [{ failoverAfterSeconds: 300 }]);
    assert.deepEqual(healthArgs({ autoReopenAfterSeconds: 'disabled' }), [{ failoverAfterSeconds: 300 }]);
    assert.deepEqual(healthArgs({ autoReopenAfterSeconds: 600 }), [{ failoverAfterSeconds: 300, autoReopenAfterSeconds: 600 }]);
  });

  it('creates once, is idempotent, and updates only what changed', async () => {
    // No worker polls this queue: nothing the schedules start can run during the test.
    const settings = testScheduleSettings(temporal.uniqueTaskQueue('schedules'));
    const created = await ensureSchedules(temporal.client, settings);
    assert.deepEqual(
      created.map((entry) => entry.action),
      ['created', 'created', 'created', 'created'],
    );
    assert.deepEqual(
      created.map((entry) => entry.scheduleId),
      ids,
    );

    const health = await temporal.client.schedule.getHandle(ScheduleId.panelHealth).describe();
    assert.equal(health.spec.intervals?.[0]?.every, 60_000);
    assert.equal(health.policies.overlap, 'SKIP');
    assert.equal(health.action.workflowType, 'panelHealthWorkflow');
    assert.deepEqual(health.action.args, [{ failoverAfterSeconds: 300 }]);
    assert.equal(health.memo?.['intervalSetBy'], 'PANEL_PROBE_INTERVAL_SECONDS');

    const repeated = await ensureSchedules(temporal.client, settings);
    assert.deepEqual(
      repeated.map((entry) => entry.action),
      ['unchanged', 'unchanged', 'unchanged', 'unchanged'],
    );

    await temporal.client.schedule.getHandle(ScheduleId.panelReconcile).pause('operator: maintenance');
    const changed = await ensureSchedules(temporal.client, { ...settings, panelProbeIntervalSeconds: 30, reconcileIntervalSeconds: 1800 });
    assert.deepEqual(
      changed.map((entry) => entry.action),
      ['updated', 'unchanged', 'updated', 'unchanged'],
    );
    assert.equal((await temporal.client.schedule.getHandle(ScheduleId.panelHealth).describe()).spec.intervals?.[0]?.every, 30_000);
    const reconcile = await temporal.client.schedule.getHandle(ScheduleId.panelReconcile).describe();
    assert.equal(reconcile.spec.intervals?.[0]?.every, 1_800_000);
    assert.equal(reconcile.state.paused, true, "an operator's pause survives a config update");

    const argsChanged = await ensureSchedules(temporal.client, {
      ...settings,
      panelProbeIntervalSeconds: 30,
      reconcileIntervalSeconds: 1800,
      failoverAfterSeconds: 'disabled',
    });
    assert.deepEqual(
      argsChanged.map((entry) => entry.action),
      ['updated', 'unchanged', 'unchanged', 'unchanged'],
    );
    const payments = await temporal.client.schedule.getHandle(ScheduleId.paymentReconcile).describe();
    assert.equal(payments.action.workflowType, 'paymentReconcileWorkflow');
    assert.deepEqual(payments.action.args, [{ olderThanMinutes: 15 }]);
    assert.deepEqual((await temporal.client.schedule.getHandle(ScheduleId.panelHealth).describe()).action.args, [
      { failoverAfterSeconds: 'disabled' },
    ]);
  });

  it('creates the invariants-check schedule from its interval and removes it when disabled', async () => {
    const settings: FleetScheduleSettings = {
      ...testScheduleSettings(temporal.uniqueTaskQueue('invariant-schedules')),
      invariantsCheckIntervalSeconds: 3600,
    };
    const client = temporal.client;
    const created = await ensureSchedules(client, settings);
    assert.equal(created.find((entry) => entry.scheduleId === ScheduleId.invariantsCheck)?.action, 'created');
    const description = await client.schedule.getHandle(ScheduleId.invariantsCheck).describe();
    assert.equal(description.spec.intervals?.[0]?.every, 3_600_000);
    assert.equal(description.action.workflowType, 'invariantsCheckWorkflow');
    assert.equal(description.memo?.['intervalSetBy'], 'INVARIANTS_CHECK_INTERVAL_SECONDS');
    assert.equal(
      (await ensureSchedules(client, settings)).find((entry) => entry.scheduleId === ScheduleId.invariantsCheck)?.action,
      'unchanged',
    );
    const disabled = await ensureSchedules(client, { ...settings, invariantsCheckIntervalSeconds: 'disabled' });
    assert.equal(
      disabled.some((entry) => entry.scheduleId === ScheduleId.invariantsCheck),
      false,
    );
    await assert.rejects(client.schedule.getHandle(ScheduleId.invariantsCheck).describe());
    // Disabled again with no schedule left: nothing to remove, no error.
    await ensureSchedules(client, { ...settings, invariantsCheckIntervalSeconds: 'disabled' });
  });

  it('creates the database-backup schedule from BACKUP_INTERVAL_SECONDS, triggers it on request, and removes it without BACKUP_DIR', async () => {
    const settings: FleetScheduleSettings = {
      ...testScheduleSettings(temporal.uniqueTaskQueue('backup-schedules')),
      backupIntervalSeconds: 86_400,
    };
    const client = temporal.client;
    assert.equal(await triggerBackupNow(client), false, 'no schedule yet: nothing to trigger');
    const created = await ensureSchedules(client, settings);
    assert.equal(created.find((entry) => entry.scheduleId === ScheduleId.databaseBackup)?.action, 'created');
    const description = await client.schedule.getHandle(ScheduleId.databaseBackup).describe();
    assert.equal(description.spec.intervals?.[0]?.every, 86_400_000);
    assert.equal(description.action.workflowType, 'databaseBackupWorkflow');
    assert.equal(description.memo?.['intervalSetBy'], 'BACKUP_INTERVAL_SECONDS');
    assert.equal(await triggerBackupNow(client), true);
    await eventually(
      async () =>
        (await client.schedule.getHandle(ScheduleId.databaseBackup).describe()).info.recentActions.length > 0 ? true : undefined,
      10_000,
      'the triggered run',
    );
    const disabled = await ensureSchedules(client, { ...settings, backupIntervalSeconds: 'disabled' });
    assert.equal(
      disabled.some((entry) => entry.scheduleId === ScheduleId.databaseBackup),
      false,
    );
    await assert.rejects(client.schedule.getHandle(ScheduleId.databaseBackup).describe());
  });
});
