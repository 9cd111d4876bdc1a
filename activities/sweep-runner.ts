/**
 * The machinery every orphan sweep shares (activities/sweep-activities.ts): forget the orphans
 * that are gone, claim the due ones for this run with their backoff
 * (sql/repositories/orphan-repairs-repository.ts), audit each attempt, run the repair, record its
 * outcome, and alert the operators on attempts 1, 2, 4, 8, ... A retried run answers with the
 * outcomes it recorded the first time.
 */
import type { CommonQueryMethods } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import {
  claimDueOrphans,
  forgetResolvedOrphans,
  recordOrphanOutcome,
  type OrphanCriteria,
} from '../sql/repositories/orphan-repairs-repository';
import type { OrphanRepairRow, OrphanSweep } from '../sql/schemas/orphan-repair-row';
import type { PaymentRow } from '../sql/schemas/payment-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import { heartbeatIfActivity } from './activity-context';
import type { AlertActivities, AlertKind } from './contracts/alert-activities';
import type { SweepInput, SweepReport } from './contracts/sweep-activities';

export type { SweepInput, SweepRepair, SweepReport } from './contracts/sweep-activities';

/** Who the sweeps' audit rows name. */
export const SWEEP_ACTOR: Actor = { type: 'system', component: 'sweep' };
const DEFAULT_WITHIN_HOURS = 72;

/** A failure's stable code for the outcome column (ApplicationFailure type or AppError code). */
export function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const record = error as { type?: unknown; code?: unknown };
    if (typeof record.type === 'string') return record.type;
    if (typeof record.code === 'string') return record.code;
  }
  return 'UNKNOWN';
}

/** Alerts on attempts 1, 2, 4, 8, ...: a stuck orphan is reported again, less and less often. */
export function alertsOnAttempt(attempt: number): boolean {
  return (attempt & (attempt - 1)) === 0;
}

/** "5 min": how long ago `date` was, for alert texts. */
export function minutesSince(date: Date | null): string {
  if (date === null) return '?';
  return `${Math.max(0, Math.round((Date.now() - date.getTime()) / 60_000))} min`;
}

/** One sweep as the runner runs it. */
export interface SweepDefinition<T extends PaymentRow | SubscriptionRow> {
  name: OrphanSweep;
  /** Reads the orphan's row (in the claim's transaction, or on the pool). */
  load: (connection: CommonQueryMethods, id: number) => Promise<T | null>;
  /** The audit row of each attempt, written when it is claimed; null = attempts are not audited. */
  audit: ((row: T, repair: OrphanRepairRow) => { action: string; details: Record<string, unknown> }) | null;
  /** Repairs one orphan; returns its outcome. Throws to record `failed:<code>`. */
  repair: (row: T, repair: OrphanRepairRow) => Promise<string>;
  /** Tells the operators about a failed repair. */
  onFailure?: (row: T, repair: OrphanRepairRow, code: string) => Promise<void>;
}

/** An alert about one orphan (sent on attempts 1, 2, 4, ...; keyed by orphan row and attempt). */
export interface OrphanAlert {
  kind: AlertKind;
  repair: OrphanRepairRow;
  /** e.g. `payment-7`. */
  entity: string;
  summary: string;
  subscriptionId?: number | null;
  userId?: number;
  paymentId?: number;
  serverId?: number | null;
}

/** Builds the runner and the alert helper the sweeps share. */
export function createSweepRunner(deps: { db: DatabasePool; logger: Logger; alertOperators: AlertActivities['alertOperators'] }) {
  const log = deps.logger.child({ component: 'activity:sweep' });

  async function alert(input: OrphanAlert): Promise<void> {
    const { repair } = input;
    if (!alertsOnAttempt(repair.attempts)) return;
    try {
      await deps.alertOperators({
        kind: input.kind,
        key: `sweep:${repair.sweep}:${input.entity}:r${repair.id}:a${repair.attempts}`,
        summary: input.summary,
        ...(input.subscriptionId == null ? {} : { subscriptionId: input.subscriptionId }),
        ...(input.userId === undefined ? {} : { userId: input.userId }),
        ...(input.paymentId === undefined ? {} : { paymentId: input.paymentId }),
        ...(input.serverId == null ? {} : { serverId: input.serverId }),
      });
    } catch (error) {
      // The alert row stays pending; the sweep's deliverPendingAlerts step sends it later.
      log.warn({ code: codeOf(error), sweep: repair.sweep, entityId: repair.entity_id }, 'alert not delivered now');
    }
  }

  /**
   * Forgets resolved orphans, claims the due ones (each attempt audited in the claim's
   * transaction when `audit` says so; its outcome goes to orphan_repairs.last_outcome), then runs
   * `repair` on each and records its outcome; a failed repair is reported through `onFailure`.
   */
  async function sweep<T extends PaymentRow | SubscriptionRow>(definition: SweepDefinition<T>, input: SweepInput): Promise<SweepReport> {
    const { name, load, audit, repair } = definition;
    const onFailure = definition.onFailure ?? null;
    const criteria: OrphanCriteria = { olderThanSeconds: input.olderThanSeconds, withinHours: input.withinHours ?? DEFAULT_WITHIN_HOURS };
    const resolved = await forgetResolvedOrphans(deps.db, { sweep: name, sweepId: input.sweepId, criteria });
    const report: SweepReport = { sweep: name, resolved, repairs: [] };
    const claimed = await deps.db.transaction(async (tx) => {
      const result = await claimDueOrphans(tx, { sweep: name, sweepId: input.sweepId, limit: input.limit, criteria });
      if (result.fresh && audit !== null) {
        for (const row of result.repairs) {
          const entity = await load(tx, row.entity_id);
          if (entity === null) continue;
          const entry = audit(entity, row);
          const isPayment = name !== 'subscription_without_client';
          await writeAuditLog(tx, {
            actor: SWEEP_ACTOR,
            action: entry.action,
            entityType: isPayment ? 'payment' : 'subscription',
            entityId: row.entity_id,
            userId: entity.user_id,
            details: { ...entry.details, attempt: row.attempts, sweep_id: input.sweepId },
          });
        }
      }
      return result;
    });
    for (const row of claimed.repairs) {
      heartbeatIfActivity({ sweep: name, entityId: row.entity_id });
      if (!claimed.fresh && row.last_outcome !== null) {
        // A retry of this run: the first attempt's recorded outcome is the answer.
        report.repairs.push({ entityId: row.entity_id, attempt: row.attempts, outcome: row.last_outcome });
        continue;
      }
      const entity = await load(deps.db, row.entity_id);
      let outcome: string;
      try {
        outcome = entity === null ? 'gone' : await repair(entity, row);
      } catch (error) {
        outcome = `failed:${codeOf(error)}`;
        log.warn({ sweep: name, entityId: row.entity_id, code: codeOf(error) }, 'orphan repair failed; retried after its backoff');
        if (entity !== null && onFailure !== null) await onFailure(entity, row, codeOf(error));
      }
      await recordOrphanOutcome(deps.db, { repairId: row.id, outcome });
      report.repairs.push({ entityId: row.entity_id, attempt: row.attempts, outcome });
    }
    if (report.repairs.length > 0) log.info({ sweep: name, repairs: report.repairs }, 'orphans handled');
    return report;
  }

  return { run: sweep, alert };
}
