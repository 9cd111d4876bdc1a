import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AlertDelivery, DeliverPendingResult } from '../activities/contracts/alert-activities';
import type { SweepActivities, SweepInput, SweepReport } from '../activities/contracts/sweep-activities';
import { ActivityProfile } from './activity-options';

/** Input of the `orphan-sweep` Schedule's workflow. */
export interface OrphanSweepInput {
  /** An orphan must have been in its state this long before a sweep touches it, in seconds. */
  olderThanSeconds: number;
  /** Most orphans each sweep acts on per run. */
  limitPerSweep: number;
  /** How far back cancelled payments are asked about at their provider, in hours; default 72. */
  lateSuccessWithinHours?: number;
}

/** What one run did; a sweep that failed is named with its error type (the next run retries it). */
export interface OrphanSweepResult {
  reports: SweepReport[];
  alerts: DeliverPendingResult | null;
  failed: string[];
}

const sweeps = proxyActivities<SweepActivities & AlertDelivery>(ActivityProfile.panelSweep);

/**
 * Run by the `orphan-sweep` Schedule: hands unapplied payments (also those of cancelled
 * subscriptions) back to their subscription workflows, asks the workflows of active subscriptions
 * without a client to provision it, settles late provider successes of cancelled payments, then
 * delivers alerts left pending. Each sweep is capped per run and independent: one failing does
 * not stop the others (the next scheduled run is the retry).
 */
export async function orphanSweepWorkflow(input: OrphanSweepInput): Promise<OrphanSweepResult> {
  const info = workflowInfo();
  const base: SweepInput = {
    sweepId: `${info.workflowId}/${info.runId}`,
    olderThanSeconds: input.olderThanSeconds,
    limit: input.limitPerSweep,
    withinHours: input.lateSuccessWithinHours ?? 72,
  };
  const result: OrphanSweepResult = { reports: [], alerts: null, failed: [] };
  const steps: Array<[string, () => Promise<SweepReport>]> = [
    ['payment_unapplied', () => sweeps.sweepUnappliedPayments(base)],
    ['cancelled_payment_late_success', () => sweeps.sweepLateProviderSuccesses(base)],
    ['subscription_without_client', () => sweeps.sweepClientlessSubscriptions(base)],
  ];
  for (const [name, run] of steps) {
    try {
      result.reports.push(await run());
    } catch (error) {
      log.error('sweep failed; the next run retries it', { sweep: name });
      result.failed.push(`${name}:${error instanceof Error ? error.name : 'unknown'}`);
    }
  }
  try {
    result.alerts = await sweeps.deliverPendingAlerts({ limit: 20 });
  } catch {
    result.failed.push('deliver_pending_alerts');
  }
  return result;
}
