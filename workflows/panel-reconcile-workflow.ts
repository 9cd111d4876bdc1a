import { log, proxyActivities } from '@temporalio/workflow';
import type { FleetActivities } from '../activities/contracts/fleet-activities';
import type { PanelFinding, ReconcileActivities, UnresolvedFinding } from '../activities/contracts/reconcile-activities';
import { ActivityProfile } from './activity-options';
import { mapSettled } from './map-settled';
import { DEFAULT_SWEEP_CONCURRENCY } from './panel-health-workflow';

/** Input of the `panel-reconcile` Schedule's workflow. */
export interface PanelReconcileInput {
  /** Panels reconciled at once; default 8. */
  concurrency?: number;
}

/** What one reconciliation of the whole fleet did; operators read `unresolved` in the Temporal UI. */
export interface PanelReconcileResult {
  servers: number;
  /** Repairs made (each has an audit row, actor system:reconciler). */
  fixed: Array<PanelFinding & { serverId: number }>;
  /** Lost clients handed to their subscription's workflow (ensureClient signal; audited). */
  signalled: Array<PanelFinding & { serverId: number }>;
  /** Findings left for a human, and repairs that failed (with `error`). */
  unresolved: Array<UnresolvedFinding & { serverId: number }>;
  /** Panels that could not be read (unreachable, not configured) or whose reconciliation failed. */
  unreachable: Array<{ serverId: number; error: string }>;
  /** Findings left out of the lists to keep the result small. */
  omitted: number;
}

/** Most findings of each kind the workflow result lists. */
export const RESULT_LIMIT = 200;

const db = proxyActivities<FleetActivities>(ActivityProfile.database);
const sweep = proxyActivities<ReconcileActivities>(ActivityProfile.panelSweep);

/**
 * Reconciles every server's panel with the database (reconcilePanel per server with a panel URL,
 * active or not; each row judges only the inbounds it sells, and a closed server's deletions wait
 * until it is opened again, e.g. `npm run servers -- reopen`) and gathers what was repaired and
 * what was not.
 */
export async function panelReconcileWorkflow(input: PanelReconcileInput = {}): Promise<PanelReconcileResult> {
  const serverIds = await db.listPanelServers({ activeOnly: false });
  const reports = await mapSettled(serverIds, input.concurrency ?? DEFAULT_SWEEP_CONCURRENCY, (serverId) =>
    sweep.reconcilePanel({ serverId }),
  );
  const result: PanelReconcileResult = { servers: serverIds.length, fixed: [], signalled: [], unresolved: [], unreachable: [], omitted: 0 };
  let omitted = 0;
  for (const outcome of reports) {
    if (!outcome.ok) {
      result.unreachable.push({ serverId: outcome.item, error: outcome.error });
      continue;
    }
    const report = outcome.value;
    if (!report.reachable) result.unreachable.push({ serverId: report.serverId, error: report.error ?? 'unknown' });
    result.fixed.push(...report.fixed.map((finding) => ({ ...finding, serverId: report.serverId })));
    // Reports recorded before `signalled` existed have none.
    result.signalled.push(...(report.signalled ?? []).map((finding) => ({ ...finding, serverId: report.serverId })));
    result.unresolved.push(...report.unresolved.map((finding) => ({ ...finding, serverId: report.serverId })));
    omitted += report.omitted;
  }
  omitted += [result.fixed, result.signalled, result.unresolved].reduce((sum, list) => sum + Math.max(0, list.length - RESULT_LIMIT), 0);
  result.fixed = result.fixed.slice(0, RESULT_LIMIT);
  result.signalled = result.signalled.slice(0, RESULT_LIMIT);
  result.unresolved = result.unresolved.slice(0, RESULT_LIMIT);
  result.omitted = omitted;
  if (result.unresolved.length > 0 || result.unreachable.length > 0) {
    log.warn('panel reconciliation left findings for an operator', {
      unresolved: result.unresolved.length,
      unreachable: result.unreachable.map((entry) => entry.serverId),
    });
  }
  return result;
}
