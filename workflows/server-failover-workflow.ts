import { log, proxyActivities } from '@temporalio/workflow';
import type { FleetActivities } from '../activities/contracts/fleet-activities';
import type { PanelActivities } from '../activities/contracts/panel-activities';
import { ActivityProfile } from './activity-options';

/** Input of `failover-server-{serverId}`. */
export interface ServerFailoverInput {
  serverId: number;
}

/** What a failover did (shown as the workflow result in the Temporal UI). */
export interface ServerFailoverResult {
  serverId: number;
  /** `aborted-server-up`: the re-probe found the panel answering again, nothing was moved. */
  outcome: 'aborted-server-up' | 'moves-signalled';
  /** Whether this run closed the server to new subscriptions (false when it already was). */
  deactivated: boolean;
  /** Subscriptions asked to move. */
  signalled: number[];
  /** Active subscriptions with no running workflow: not moved, an operator must look. */
  missing: number[];
}

/** Subscriptions signalled per activity call (one history entry per batch, not per subscription). */
export const SIGNAL_BATCH_SIZE = 50;

const db = proxyActivities<FleetActivities>(ActivityProfile.database);
const sweep = proxyActivities<PanelActivities>(ActivityProfile.panelSweep);
const temporal = proxyActivities<FleetActivities>(ActivityProfile.temporal);

/**
 * Moves a dead server's subscriptions elsewhere. Runs as `failover-server-{serverId}`, so two
 * failovers of one server never overlap. Steps:
 * 1. re-probe the panel: when it answers again (a flap), abort before anything moves;
 * 2. close the server to new subscriptions (an operator re-opens it once it is healthy);
 * 3. signal `moveToServer { fromServerId, reason: 'failover' }` to every active subscription on it.
 * Each subscription workflow provisions a client on another server, keeps its /sub URL and tells
 * the user; it ignores a move from a server it no longer lives on, so a repeated signal is
 * harmless. The clients left on the dead panel are deleted by the panel reconciler once the
 * panel answers again.
 */
export async function serverFailoverWorkflow(input: ServerFailoverInput): Promise<ServerFailoverResult> {
  const { serverId } = input;
  const result: ServerFailoverResult = { serverId, outcome: 'aborted-server-up', deactivated: false, signalled: [], missing: [] };

  const probe = await sweep.probePanel({ serverId });
  if (probe.up) {
    log.info('failover aborted: the panel answers again', { serverId });
    return result;
  }

  result.outcome = 'moves-signalled';
  result.deactivated = (await db.deactivateServerForFailover({ serverId })).changed;
  const subscriptionIds = await db.listActiveSubscriptionsOnServer({ serverId });
  for (let start = 0; start < subscriptionIds.length; start += SIGNAL_BATCH_SIZE) {
    const batch = subscriptionIds.slice(start, start + SIGNAL_BATCH_SIZE);
    const sent = await temporal.signalMoveToServer({ fromServerId: serverId, subscriptionIds: batch, reason: 'failover' });
    result.signalled.push(...sent.signalled);
    result.missing.push(...sent.missing);
  }
  if (result.missing.length > 0)
    log.warn('failover: subscriptions without a running workflow were not moved', { serverId, missing: result.missing });
  log.info('failover: moves signalled', { serverId, signalled: result.signalled.length });
  return result;
}
