import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScheduleId } from '../workflows/contract';
import { testScheduleSettings } from '../test/support/schedule-settings';
import { fleetSchedules } from './ensure-schedules';

const base = testScheduleSettings('q');

describe('the stars-reconcile schedule', () => {
  it('runs starsReconcileWorkflow every STARS_RECONCILE_INTERVAL_SECONDS with the settle grace', () => {
    const stars = fleetSchedules({ ...base, starsReconcileIntervalSeconds: 120, starsSettleAfterSeconds: 90 }).find(
      (entry) => entry.scheduleId === ScheduleId.starsReconcile,
    );
    assert.deepEqual(stars && { every: stars.everySeconds, type: stars.workflowType, args: stars.args, variable: stars.configVariable }, {
      every: 120,
      type: 'starsReconcileWorkflow',
      args: [{ settleAfterSeconds: 90 }],
      variable: 'STARS_RECONCILE_INTERVAL_SECONDS',
    });
    assert.deepEqual(
      fleetSchedules({ ...base, starsReconcileIntervalSeconds: 60 }).at(-1)?.args,
      [{ settleAfterSeconds: 60 }],
      'default grace 60 s',
    );
  });

  it('is left out when disabled', () => {
    assert.ok(!fleetSchedules(base).some((entry) => entry.scheduleId === ScheduleId.starsReconcile));
  });
});
