/**
 * Fleet schedule settings for tests of clients/ensure-schedules.ts: the required intervals at
 * the values every schedule test starts from, on `taskQueue`; a test spreads in what it changes
 * (an optional schedule such as the orphan sweep, or an interval it updates).
 */
import type { FleetScheduleSettings } from '../../clients/ensure-schedules';

/** The base settings on `taskQueue`. */
export function testScheduleSettings(taskQueue: string): FleetScheduleSettings {
  return {
    taskQueue,
    panelProbeIntervalSeconds: 60,
    failoverAfterSeconds: 300,
    trafficSyncIntervalSeconds: 300,
    reconcileIntervalSeconds: 900,
    paymentReconcileIntervalSeconds: 300,
    paymentReconcileAfterMinutes: 15,
  };
}
