import { log, proxyActivities } from '@temporalio/workflow';
import type { FleetActivities } from '../activities/contracts/fleet-activities';
import type { PanelActivities } from '../activities/contracts/panel-activities';
import { ActivityProfile } from './activity-options';
import { mapSettled } from './map-settled';
import { DEFAULT_SWEEP_CONCURRENCY } from './panel-health-workflow';

/** Input of the `traffic-sync` Schedule's workflow. */
export interface TrafficSyncInput {
  /** Servers synced at once; default 8. */
  concurrency?: number;
}

/** What one traffic sweep did. */
export interface TrafficSyncResult {
  servers: number;
  /** Subscriptions whose traffic_used changed. */
  updated: number;
  /** Subscriptions whose client the panel did not report. */
  missing: number;
  /** Servers that could not be synced this time, with the failure type. */
  failed: Array<{ serverId: number; error: string }>;
}

const db = proxyActivities<FleetActivities>(ActivityProfile.database);
const sweep = proxyActivities<PanelActivities>(ActivityProfile.panelSweep);

/**
 * Copies every active server's per-client traffic counters into subscriptions.traffic_used
 * (syncTraffic, one inbound listing per server). A server that fails is reported and retried by
 * the next scheduled run.
 */
export async function trafficSyncWorkflow(input: TrafficSyncInput = {}): Promise<TrafficSyncResult> {
  const serverIds = await db.listPanelServers({ activeOnly: true });
  const synced = await mapSettled(serverIds, input.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, (serverId) => sweep.syncTraffic({ serverId }));
  const result: TrafficSyncResult = { servers: serverIds.length, updated: 0, missing: 0, failed: [] };
  for (const outcome of synced) {
    if (!outcome.ok) result.failed.push({ serverId: outcome.item, error: outcome.error });
    else {
      result.updated += outcome.value.updated;
      result.missing += outcome.value.missing;
    }
  }
  if (result.failed.length > 0) log.warn('traffic sync failed for some servers', { failed: result.failed });
  return result;
}
