import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { log, proxyActivities, startChild } from '@temporalio/workflow';
import type { FleetActivities } from '../activities/contracts/fleet-activities';
import type { PanelActivities } from '../activities/contracts/panel-activities';
import { ActivityProfile } from './activity-options';
import { failoverWorkflowId } from './contract';
import { mapSettled } from './map-settled';
import { serverFailoverWorkflow } from './server-failover-workflow';

/** Input of the `panel-health-probe` Schedule's workflow (its action args). */
export interface PanelHealthInput {
  /** Seconds a server must stay down before its subscriptions move; 'disabled' = never. Default 300. */
  failoverAfterSeconds?: number | 'disabled';
  /** Probes in flight at once; default 8. */
  concurrency?: number;
  /**
   * Re-open servers the failover closed once they stayed up this many seconds
   * (PANEL_AUTO_REOPEN + PANEL_REOPEN_AFTER_SECONDS); absent or 'disabled' = only by command.
   */
  autoReopenAfterSeconds?: number | 'disabled';
}

/** What one health sweep saw and did. */
export interface PanelHealthResult {
  probed: number;
  down: number[];
  /** Probes that could not run (e.g. the database was unreachable), with the failure type. */
  failed: Array<{ serverId: number; error: string }>;
  /** Servers whose failover this run started. */
  failoversStarted: number[];
  /** Servers whose failover was already running (left alone). */
  failoversRunning: number[];
  /** Servers re-opened by this run (autoReopenAfterSeconds); absent in runs before it existed. */
  reopened?: number[];
}

/** Default of {@link PanelHealthInput.failoverAfterSeconds}. */
export const DEFAULT_FAILOVER_AFTER_SECONDS = 300;
/** Default of {@link PanelHealthInput.concurrency} (also used by the other panel sweeps). */
export const DEFAULT_SWEEP_CONCURRENCY = 8;

const db = proxyActivities<FleetActivities>(ActivityProfile.database);
const sweep = proxyActivities<PanelActivities>(ActivityProfile.panelSweep);

/**
 * Probes every server's panel, open or closed (probePanel records up/down, down_since and
 * up_since: a failed-over server is watched until it can be re-opened), re-opens failed-over
 * servers healthy for `autoReopenAfterSeconds` when set, then starts
 * `failover-server-{id}` for each active server down for longer than `failoverAfterSeconds` that
 * still holds active subscriptions. The failover is a child with ABANDON, so it outlives this
 * short sweep; its id makes the start idempotent (a running one is left alone), and since a
 * failover closes the server, the next sweeps do not start it again for the same outage.
 */
export async function panelHealthWorkflow(input: PanelHealthInput = {}): Promise<PanelHealthResult> {
  const failoverAfter = input.failoverAfterSeconds ?? DEFAULT_FAILOVER_AFTER_SECONDS;
  const serverIds = await db.listPanelServers({ activeOnly: false });
  const probes = await mapSettled(serverIds, input.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, (serverId) => sweep.probePanel({ serverId }));
  const result: PanelHealthResult = { probed: serverIds.length, down: [], failed: [], failoversStarted: [], failoversRunning: [] };
  for (const probe of probes) {
    if (!probe.ok) result.failed.push({ serverId: probe.item, error: probe.error });
    else if (!probe.value.up) result.down.push(probe.item);
  }
  if (result.failed.length > 0) log.warn('panel probes failed to run', { failed: result.failed });
  if (input.autoReopenAfterSeconds !== undefined && input.autoReopenAfterSeconds !== 'disabled') {
    result.reopened = await db.reopenHealthyServers({ healthyForSeconds: input.autoReopenAfterSeconds });
  }
  if (failoverAfter === 'disabled') return result;

  for (const serverId of await db.listFailoverCandidates({ downForSeconds: failoverAfter })) {
    try {
      await startChild(serverFailoverWorkflow, {
        workflowId: failoverWorkflowId(serverId),
        args: [{ serverId }],
        parentClosePolicy: 'ABANDON',
        staticSummary: `failover of server ${serverId}`,
      });
      result.failoversStarted.push(serverId);
      log.warn('failover started', { serverId, downForSeconds: failoverAfter });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      result.failoversRunning.push(serverId);
    }
  }
  return result;
}
