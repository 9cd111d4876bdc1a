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
import { sql } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { writeAuditLog } from '../sql/repositories/audit-repository';
import { getPayment } from '../sql/repositories/payments-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import type { PaymentRow } from '../sql/schemas/payment-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import {
  createSubscriptionWorkflowClient,
  signalWithStartSubscription,
  type EnsureClientSignal,
} from '../clients/subscription-workflow-client';
import type { AlertActivities } from './contracts/alert-activities';
import { createPaymentActivities, type PaymentActivityDeps } from './payment-activities';
import { createSweepRunner, minutesSince, SWEEP_ACTOR, type SweepInput, type SweepReport } from './sweep-runner';

export type { SweepInput, SweepRepair, SweepReport } from './sweep-runner';

/** Dependencies of the sweeps: the payment activities' and the alert channel. */
export interface SweepActivityDeps {
  db: DatabasePool;
  logger: Logger;
  payments?: PaymentActivityDeps | undefined;
  alertOperators: AlertActivities['alertOperators'];
}

/** What a sweep's alert about a payment names: the payment, its subscription and user. */
const aboutPayment = (payment: PaymentRow) => ({
  entity: `payment-${payment.id}`,
  subscriptionId: payment.subscription_id,
  userId: payment.user_id,
  paymentId: payment.id,
});

/** What a sweep's alert about a subscription names: the subscription, its user and server. */
const aboutSubscription = (row: SubscriptionRow) => ({
  entity: `subscription-${row.id}`,
  subscriptionId: row.id,
  userId: row.user_id,
  serverId: row.server_id,
});

/** Builds the sweep activities. */
export function createSweepActivities(deps: SweepActivityDeps) {
  const paymentActivities = createPaymentActivities(deps);
  const { run, alert } = createSweepRunner(deps);

  function temporalOf(): PaymentActivityDeps['temporal'] {
    if (deps.payments === undefined) throw new ConfigError('the sweeps need the payment dependencies (Temporal client and task queue)');
    return deps.payments.temporal;
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
      return run<PaymentRow>(
        {
          name: 'payment_unapplied',
          load: (connection, id) => getPayment(connection, id),
          audit: (payment) => ({
            action: 'sweep.payment_handed_off',
            details: { subscription_id: payment.subscription_id, amount: payment.amount, currency: payment.currency },
          }),
          repair: async (payment, repair) => {
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
              summary: `Payment ${payment.id} (${payment.amount} ${payment.currency}, ${payment.provider}), completed ${minutesSince(payment.completed_at)} ago, ${what} (attempt ${repair.attempts}).`,
              ...aboutPayment(payment),
            });
            return status === 'cancelled' ? 'handed-off:cancelled-subscription' : 'handed-off';
          },
          onFailure: (payment, repair, code) =>
            alert({
              kind: 'payment_unapplied',
              repair,
              summary: `Payment ${payment.id} (${payment.amount} ${payment.currency}, ${payment.provider}) is completed but not applied, and handing it to subscription ${payment.subscription_id} failed (${code}, attempt ${repair.attempts}); tried again after its backoff.`,
              ...aboutPayment(payment),
            }),
        },
        input,
      );
    },

    /**
     * Asks the workflow of every active subscription with no client recorded (no server, key or
     * client identity, for longer than `olderThanSeconds`) to bring its client back: signal-with-start
     * `ensureClient`. Audited `sweep.ensure_client`; alert kind `orphan_repaired`.
     * @idempotency sweepId; the workflow's provisioning is idempotent per subscription
     */
    async sweepClientlessSubscriptions(input: SweepInput): Promise<SweepReport> {
      return run<SubscriptionRow>(
        {
          name: 'subscription_without_client',
          load: (connection, id) => getSubscription(connection, id),
          audit: (row) => ({
            action: 'sweep.ensure_client',
            details: { server_id: row.server_id, has_key: row.vpn_key !== null, has_identity: row.xui_client_uuid !== null },
          }),
          repair: async (row, repair) => {
            const { client, taskQueue } = temporalOf();
            const signal: EnsureClientSignal = { reason: 'sweep:active-without-client' };
            if (row.plan_id === null) {
              // Without a plan the workflow cannot be started: only a running one is asked.
              if (!(await createSubscriptionWorkflowClient(client).signalEnsureClient(row.id, signal))) {
                throw new Error(`subscription ${row.id} has no plan and no running workflow`);
              }
            } else {
              await signalWithStartSubscription(
                { client, taskQueue },
                { subscriptionId: row.id, userId: row.user_id, planId: row.plan_id },
                'ensureClient',
                signal,
              );
            }
            const missing = [
              row.server_id === null ? 'server' : null,
              row.vpn_key === null ? 'key' : null,
              row.xui_client_uuid === null ? 'client identity' : null,
            ]
              .filter(Boolean)
              .join(', ');
            await alert({
              kind: 'orphan_repaired',
              repair,
              summary: `Subscription ${row.id} is active but has no ${missing} recorded (for ${minutesSince(row.updated_at)}); asked its workflow to provision the client again (attempt ${repair.attempts}).`,
              ...aboutSubscription(row),
            });
            return 'ensure-client-signalled';
          },
          onFailure: (row, repair, code) =>
            alert({
              kind: 'orphan_repaired',
              repair,
              summary: `Subscription ${row.id} is active without a client, and asking its workflow to provision it failed (${code}, attempt ${repair.attempts}); tried again after its backoff.`,
              ...aboutSubscription(row),
            }),
        },
        input,
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
      return run<PaymentRow>(
        {
          name: 'cancelled_payment_late_success',
          load: (connection, id) => getPayment(connection, id),
          audit: null,
          repair: async (payment, repair) => {
            const verdict = await paymentActivities.confirmPayment({ paymentId: payment.id });
            if (verdict.status !== 'completed') return `still-${verdict.status}`;
            const handOff = await paymentActivities.notifySubscriptionOfPayment({ paymentId: payment.id });
            await deps.db.transaction(async (tx) => {
              const already = await tx.exists(sql.unsafe`
                SELECT 1 FROM audit_logs WHERE action = 'sweep.late_success_completed' AND entity_type = 'payment' AND entity_id = ${payment.id}
              `);
              if (!already) {
                await writeAuditLog(tx, {
                  actor: SWEEP_ACTOR,
                  action: 'sweep.late_success_completed',
                  entityType: 'payment',
                  entityId: payment.id,
                  userId: payment.user_id,
                  details: {
                    provider: payment.provider,
                    subscription_id: payment.subscription_id,
                    completed_now: verdict.completedNow,
                    sweep_id: input.sweepId,
                  },
                });
              }
            });
            await alert({
              kind: 'orphan_repaired',
              repair: { ...repair, attempts: 1 },
              summary: `Payment ${payment.id} (${payment.amount} ${payment.currency}) had been cancelled here, but ${payment.provider} says it succeeded; completed it and handed it to ${handOff.workflowId ?? 'no subscription (a top-up)'}.`,
              ...aboutPayment(payment),
            });
            return 'completed-and-handed-off';
          },
        },
        input,
      );
    },
  };
}

/** The sweep activities' interface (workflows proxy it by type only). */
export type SweepActivities = ReturnType<typeof createSweepActivities>;
