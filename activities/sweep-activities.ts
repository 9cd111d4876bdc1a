/**
 * The orphan sweeps (workflows/orphan-sweep-workflow.ts, the `orphan-sweep` Schedule): find the
 * states a crash or a lost hand-off can leave behind and route each back through the workflow
 * that owns it (never repair beside it), with an audit row and an operator alert per repair.
 *
 * - payments completed but never applied (incl. a payment workflow that failed its hand-off, and a
 *   payment for a cancelled subscription, whose workflow credits it to the balance): the same
 *   `paymentCompleted` signal-with-start the payment workflow sends (idempotent per payment id);
 * - active subscriptions with no client recorded: `ensureClient` signal-with-start;
 * - cancelled payments that reached a provider: the provider is asked again (the payment
 *   activities' confirmPayment); a late success completes the payment and is handed off.
 *
 * Each sweep claims at most `limit` orphans per run, each with an exponential backoff
 * (sql/repositories/orphan-repairs-repository.ts), so one orphan the repair cannot fix is tried
 * less and less often and never crowds out the others.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import {
  claimDueOrphans,
  forgetResolvedOrphans,
  recordOrphanOutcome,
  type OrphanCriteria,
} from '../sql/repositories/orphan-repairs-repository';
import { getPayment } from '../sql/repositories/payments-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import type { OrphanRepairRow, OrphanSweep } from '../sql/schemas/orphan-repair-row';
import type { PaymentRow } from '../sql/schemas/payment-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import {
  PlanIdAttribute,
  SignalName,
  SubscriptionStatusAttribute,
  UserIdAttribute,
  subscriptionWorkflowId,
} from '../workflows/contract';
import type { EnsureClientSignal } from '../workflows/subscription-messages';
import { heartbeatIfActivity } from './activity-context';
import type { AlertActivities, AlertKind } from './alert-activity-types';
import { createPaymentActivities, SUBSCRIPTION_WORKFLOW_TYPE, type PaymentActivityDeps } from './payment-activities';

/** Dependencies of the sweeps: the payment activities' and the alert channel. */
export interface SweepActivityDeps {
  db: DatabasePool;
  logger: Logger;
  payments?: PaymentActivityDeps | undefined;
  alertOperators: AlertActivities['alertOperators'];
}

/** Input of one sweep. */
export interface SweepInput {
  /** The run's identity (the sweep workflow's id and run id): a retried activity reports the same repairs. */
  sweepId: string;
  /** An orphan must be in its state this long before it is touched, in seconds. */
  olderThanSeconds: number;
  /** Most orphans acted on per run. */
  limit: number;
  /** Late successes: how far back cancelled payments are asked about, in hours (default 72). */
  withinHours?: number;
}

/** One orphan a sweep acted on. */
export interface SweepRepair {
  /** Payment id, or subscription id for the clientless sweep. */
  entityId: number;
  /** The how-many-th attempt on this orphan. */
  attempt: number;
  /** 'handed-off', 'ensure-client-signalled', 'completed-and-handed-off', 'still-cancelled', 'failed:CODE', ... */
  outcome: string;
}

/** What one sweep did. */
export interface SweepReport {
  sweep: OrphanSweep;
  /** Orphan rows forgotten because their orphan is gone. */
  resolved: number;
  repairs: SweepRepair[];
}

const ACTOR: Actor = { type: 'system', component: 'sweep' };
const DEFAULT_WITHIN_HOURS = 72;

/** A failure's stable code for the outcome column (ApplicationFailure type or AppError code). */
function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const record = error as { type?: unknown; code?: unknown };
    if (typeof record.type === 'string') return record.type;
    if (typeof record.code === 'string') return record.code;
  }
  return 'UNKNOWN';
}

/** Alerts on attempts 1, 2, 4, 8, ...: a stuck orphan is reported again, less and less often. */
function alertsOnAttempt(attempt: number): boolean {
  return (attempt & (attempt - 1)) === 0;
}

function minutesSince(date: Date | null): string {
  if (date === null) return '?';
  return `${Math.max(0, Math.round((Date.now() - date.getTime()) / 60_000))} min`;
}

/** Builds the sweep activities. */
export function createSweepActivities(deps: SweepActivityDeps) {
  const log = deps.logger.child({ component: 'activity:sweep' });
  const paymentActivities = createPaymentActivities(deps);

  function temporalOf(): PaymentActivityDeps['temporal'] {
    if (deps.payments === undefined) throw new ConfigError('the sweeps need the payment dependencies (Temporal client and task queue)');
    return deps.payments.temporal;
  }

  async function alert(input: { kind: AlertKind; repair: OrphanRepairRow; entity: string; summary: string; subscriptionId?: number | null; userId?: number; paymentId?: number; serverId?: number | null }) {
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
  async function sweep<T extends PaymentRow | SubscriptionRow>(
    name: OrphanSweep,
    input: SweepInput,
    load: (connection: CommonQueryMethods, id: number) => Promise<T | null>,
    audit: ((row: T, repair: OrphanRepairRow) => { action: string; details: Record<string, unknown> }) | null,
    repair: (row: T, repair: OrphanRepairRow) => Promise<string>,
    onFailure: ((row: T, repair: OrphanRepairRow, code: string) => Promise<void>) | null = null,
  ): Promise<SweepReport> {
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
            actor: ACTOR,
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

  return {
    /**
     * Hands every completed-but-unapplied payment (older than `olderThanSeconds`) to its
     * subscription workflow again: the payment activities' own signal-with-start
     * (`paymentCompleted`, deduplicated by payment id). A payment for a cancelled subscription
     * gets the same signal (its workflow credits it to the balance and tells the user).
     * Audited `sweep.payment_handed_off`; alert kind `payment_unapplied`.
     * @idempotency sweepId (orphan_repairs.last_sweep_id); the signal is idempotent per payment id
     */
    async sweepUnappliedPayments(input: SweepInput): Promise<SweepReport> {
      const subscriptionStatus = async (payment: PaymentRow) =>
        payment.subscription_id === null ? null : ((await getSubscription(deps.db, payment.subscription_id))?.status ?? null);
      return sweep<PaymentRow>(
        'payment_unapplied',
        input,
        (connection, id) => getPayment(connection, id),
        (payment) => ({ action: 'sweep.payment_handed_off', details: { subscription_id: payment.subscription_id, amount: payment.amount, currency: payment.currency } }),
        async (payment, repair) => {
          if (payment.status !== 'completed' || payment.applied_at !== null) return 'already-applied';
          const status = await subscriptionStatus(payment);
          await paymentActivities.notifySubscriptionOfPayment({ paymentId: payment.id });
          const what =
            status === 'cancelled'
              ? `landed on subscription ${payment.subscription_id}, which is cancelled; handed to its workflow, which credits it to the user's balance and tells them`
              : `was never applied to subscription ${payment.subscription_id}; handed to its workflow again`;
          await alert({
            kind: 'payment_unapplied',
            repair,
            entity: `payment-${payment.id}`,
            summary: `Payment ${payment.id} (${payment.amount} ${payment.currency}, ${payment.provider}), completed ${minutesSince(payment.completed_at)} ago, ${what} (attempt ${repair.attempts}).`,
            subscriptionId: payment.subscription_id,
            userId: payment.user_id,
            paymentId: payment.id,
          });
          return status === 'cancelled' ? 'handed-off:cancelled-subscription' : 'handed-off';
        },
        (payment, repair, code) =>
          alert({
            kind: 'payment_unapplied',
            repair,
            entity: `payment-${payment.id}`,
            summary: `Payment ${payment.id} (${payment.amount} ${payment.currency}, ${payment.provider}) is completed but not applied, and handing it to subscription ${payment.subscription_id} failed (${code}, attempt ${repair.attempts}); tried again after its backoff.`,
            subscriptionId: payment.subscription_id,
            userId: payment.user_id,
            paymentId: payment.id,
          }),
      );
    },

    /**
     * Asks the workflow of every active subscription with no client recorded (no server, key or
     * client identity, for longer than `olderThanSeconds`) to bring its client back: signal-with-start
     * `ensureClient`. Audited `sweep.ensure_client`; alert kind `orphan_repaired`.
     * @idempotency sweepId; the workflow's provisioning is idempotent per subscription
     */
    async sweepClientlessSubscriptions(input: SweepInput): Promise<SweepReport> {
      return sweep<SubscriptionRow>(
        'subscription_without_client',
        input,
        (connection, id) => getSubscription(connection, id),
        (row) => ({ action: 'sweep.ensure_client', details: { server_id: row.server_id, has_key: row.vpn_key !== null, has_identity: row.xui_client_uuid !== null } }),
        async (row, repair) => {
          const { client, taskQueue } = temporalOf();
          const signal: EnsureClientSignal = { reason: 'sweep:active-without-client' };
          const workflowId = subscriptionWorkflowId(row.id);
          if (row.plan_id === null) {
            await client.workflow.getHandle(workflowId).signal(SignalName.ensureClient, signal);
          } else {
            await client.workflow.signalWithStart(SUBSCRIPTION_WORKFLOW_TYPE, {
              workflowId,
              taskQueue,
              args: [{ subscriptionId: row.id, userId: row.user_id, planId: row.plan_id }],
              signal: SignalName.ensureClient,
              signalArgs: [signal],
              typedSearchAttributes: [
                { key: UserIdAttribute, value: String(row.user_id) },
                { key: PlanIdAttribute, value: String(row.plan_id) },
                { key: SubscriptionStatusAttribute, value: 'awaiting_payment' },
              ],
            });
          }
          const missing = [row.server_id === null ? 'server' : null, row.vpn_key === null ? 'key' : null, row.xui_client_uuid === null ? 'client identity' : null].filter(Boolean).join(', ');
          await alert({
            kind: 'orphan_repaired',
            repair,
            entity: `subscription-${row.id}`,
            summary: `Subscription ${row.id} is active but has no ${missing} recorded (for ${minutesSince(row.updated_at)}); asked its workflow to provision the client again (attempt ${repair.attempts}).`,
            subscriptionId: row.id,
            userId: row.user_id,
            serverId: row.server_id,
          });
          return 'ensure-client-signalled';
        },
        (row, repair, code) =>
          alert({
            kind: 'orphan_repaired',
            repair,
            entity: `subscription-${row.id}`,
            summary: `Subscription ${row.id} is active without a client, and asking its workflow to provision it failed (${code}, attempt ${repair.attempts}); tried again after its backoff.`,
            subscriptionId: row.id,
            userId: row.user_id,
            serverId: row.server_id,
          }),
      );
    },

    /**
     * Asks the provider again about each recently cancelled payment that reached it (the payment
     * activities' confirmPayment: the provider's verdict wins over our timeout). A late success is
     * completed (once) and handed to its subscription workflow; audited `sweep.late_success_completed`
     * besides `payment.completed`; alert kind `orphan_repaired`. A payment still cancelled is asked
     * again after the backoff, within `withinHours`.
     * @idempotency sweepId; completion is conditional (markPaymentCompleted), the hand-off idempotent per payment id
     */
    async sweepLateProviderSuccesses(input: SweepInput): Promise<SweepReport> {
      return sweep<PaymentRow>(
        'cancelled_payment_late_success',
        input,
        (connection, id) => getPayment(connection, id),
        null,
        async (payment, repair) => {
          const verdict = await paymentActivities.confirmPayment({ paymentId: payment.id });
          if (verdict.status !== 'completed') return `still-${verdict.status}`;
          const handOff = await paymentActivities.notifySubscriptionOfPayment({ paymentId: payment.id });
          await deps.db.transaction(async (tx) => {
            const already = await tx.exists(sql.unsafe`
              SELECT 1 FROM audit_logs WHERE action = 'sweep.late_success_completed' AND entity_type = 'payment' AND entity_id = ${payment.id}
            `);
            if (!already) {
              await writeAuditLog(tx, {
                actor: ACTOR,
                action: 'sweep.late_success_completed',
                entityType: 'payment',
                entityId: payment.id,
                userId: payment.user_id,
                details: { provider: payment.provider, subscription_id: payment.subscription_id, completed_now: verdict.completedNow, sweep_id: input.sweepId },
              });
            }
          });
          await alert({
            kind: 'orphan_repaired',
            repair: { ...repair, attempts: 1 },
            entity: `payment-${payment.id}`,
            summary: `Payment ${payment.id} (${payment.amount} ${payment.currency}) had been cancelled here, but ${payment.provider} says it succeeded; completed it and handed it to ${handOff.workflowId ?? 'no subscription (a top-up)'}.`,
            subscriptionId: payment.subscription_id,
            userId: payment.user_id,
            paymentId: payment.id,
          });
          return 'completed-and-handed-off';
        },
      );
    },
  };
}

/** The sweep activities' interface (workflows proxy it by type only). */
export type SweepActivities = ReturnType<typeof createSweepActivities>;
