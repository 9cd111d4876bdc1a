import { log, proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/contracts/alert-activities';
import type { InvariantActivities, InvariantReport, InvariantViolation } from '../activities/contracts/invariant-activities';
import { ActivityProfile } from './activity-options';

/** Input of the `invariants-check` Schedule's workflow (and of the /invariants command's runs). */
export interface InvariantsCheckInput {
  /** Rows changed this recently are not judged yet, in seconds; default the checker's (600). */
  settleSeconds?: number;
  /** Tell the operators about violations (alertOperators, kind invariant_violation); default true. */
  alert?: boolean;
}

/** Most violations alerted one by one per run; the rest go into one summary alert. */
export const ALERT_LIMIT = 20;

const sweep = proxyActivities<InvariantActivities>(ActivityProfile.panelSweep);
const alerts = proxyActivities<AlertActivities>(ActivityProfile.database);

/**
 * The alert key of a violation on a day: the same broken invariant is alerted at most once a day
 * while it lasts (the alert channel deduplicates by key).
 */
export function violationAlertKey(violation: InvariantViolation, day: string): string {
  const ids = [
    violation.subscriptionId === undefined ? '' : `s${violation.subscriptionId}`,
    violation.paymentId === undefined ? '' : `p${violation.paymentId}`,
    violation.userId === undefined ? '' : `u${violation.userId}`,
    violation.serverId === undefined ? '' : `v${violation.serverId}`,
  ].join('');
  return `invariant_violation:${violation.kind}:${ids}:${day}`;
}

/**
 * Checks the invariants once (activities/invariants.ts) and tells the operators about each
 * violation, deduplicated per violation and day. An alert that cannot be delivered does not fail
 * the run: the report (this workflow's result) still lists every violation.
 */
export async function invariantsCheckWorkflow(input: InvariantsCheckInput = {}): Promise<InvariantReport> {
  const report = await sweep.checkInvariants(input.settleSeconds === undefined ? {} : { settleSeconds: input.settleSeconds });
  if (report.ok || input.alert === false) return report;
  const day = new Date(Date.now()).toISOString().slice(0, 10);
  log.warn('invariants violated', { violations: report.violations.length + report.omitted });
  const listed = report.violations.slice(0, ALERT_LIMIT);
  const rest = report.violations.length - listed.length + report.omitted;
  try {
    for (const violation of listed) {
      await alerts.alertOperators({
        kind: 'invariant_violation',
        key: violationAlertKey(violation, day),
        summary: `Invariant broken (${violation.kind}): ${violation.summary}`,
        ...(violation.subscriptionId === undefined ? {} : { subscriptionId: violation.subscriptionId }),
        ...(violation.userId === undefined ? {} : { userId: violation.userId }),
        ...(violation.paymentId === undefined ? {} : { paymentId: violation.paymentId }),
        ...(violation.serverId === undefined ? {} : { serverId: violation.serverId }),
      });
    }
    if (rest > 0) {
      await alerts.alertOperators({
        kind: 'invariant_violation',
        key: `invariant_violation:more:${day}`,
        summary: `${rest} more invariant violation(s); run /invariants or read the invariants-check run's result.`,
      });
    }
  } catch {
    log.error('invariant alerts not delivered', { violations: report.violations.length });
  }
  return report;
}
