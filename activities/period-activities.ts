import type { DatabasePool } from '../lib/db/create-pool';
import { InvalidInputError, RecordNotFoundError, SubscriptionStateError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Actor } from '../sql/repositories/audit-repository';
import { getPayment } from '../sql/repositories/payments-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { releaseServerSlot } from '../sql/repositories/server-slots-repository';
import {
  cancelSubscription,
  extendSubscriptionByDays,
  extendSubscriptionWithPayment,
  getSubscription,
  lockSubscription,
  markSubscriptionExpired,
} from '../sql/repositories/subscriptions-repository';
import { markTrialUsed } from '../sql/repositories/users-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { LifecycleActivities } from './lifecycle-activity-types';
import { toSnapshot } from './subscription-snapshot';
import { asActivity } from './to-activity-failure';

/** Dependencies of the period activities. */
export interface PeriodActivityDeps {
  db: DatabasePool;
  logger: Logger;
}

/** The audit actor of changes the lifecycle makes on its own (payments, trials, timers). */
export const LIFECYCLE_ACTOR: Actor = { type: 'system', component: 'activity:lifecycle' };

/** The period activities' part of {@link LifecycleActivities}. */
export type PeriodActivities = Pick<
  LifecycleActivities,
  'getSubscriptionSnapshot' | 'applyPayment' | 'grantTrial' | 'extendPeriod' | 'markExpired' | 'markCancelled'
>;

/** Reads a subscription. @throws RecordNotFoundError (NOT_FOUND) */
export async function loadSubscription(db: DatabasePool, subscriptionId: number): Promise<SubscriptionRow> {
  const row = await getSubscription(db, subscriptionId);
  if (row === null) throw new RecordNotFoundError('subscription');
  return row;
}

function requireDays(days: number): void {
  if (!Number.isSafeInteger(days) || days <= 0 || days > 3660) throw new InvalidInputError('days must be a whole number in 1..3660');
}

/**
 * Activities that move a subscription's period and status in Postgres: each change and its audit
 * row commit together, and each is fenced by a database fact (payments.applied_at,
 * users.trial_used_at, the extension's audit row, the status guard), so a retry changes nothing.
 * AppErrors become ApplicationFailures typed by code (`asActivity`).
 */
export function createPeriodActivities(deps: PeriodActivityDeps): PeriodActivities {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:lifecycle' });

  return {
    /**
     * Reads the subscription row.
     *
     * @idempotency read-only
     * @throws ApplicationFailure typed NOT_FOUND
     */
    async getSubscriptionSnapshot(input) {
      return asActivity(async () => toSnapshot(await loadSubscription(db, input.subscriptionId)));
    },

    /**
     * Applies a completed payment of this subscription for its plan's duration_days: from end_date
     * while active and not ended, from now when pending or expired. `applied: false` when it was
     * applied before, is not completed yet, or the subscription is cancelled (the payment then stays
     * unapplied, for a refund).
     *
     * @idempotency paymentId (payments.applied_at, claimed in the extension's transaction)
     * @throws ApplicationFailure typed NOT_FOUND (subscription, payment or plan), INVALID_INPUT (the
     *   payment is another subscription's), SUBSCRIPTION_STATE_INVALID (no plan)
     */
    async applyPayment(input) {
      return asActivity(async () => {
        const row = await loadSubscription(db, input.subscriptionId);
        const payment = await getPayment(db, input.paymentId);
        if (payment === null) throw new RecordNotFoundError('payment');
        if (payment.subscription_id !== row.id) throw new InvalidInputError(`payment ${payment.id} is not for subscription ${row.id}`);
        if (row.plan_id === null) throw new SubscriptionStateError(`subscription ${row.id} has no plan to take a duration from`);
        const plan = await getPlan(db, row.plan_id);
        if (plan === null) throw new RecordNotFoundError('plan');
        const { applied, subscription } = await extendSubscriptionWithPayment(db, {
          subscriptionId: row.id,
          paymentId: payment.id,
          days: plan.duration_days,
          actor: LIFECYCLE_ACTOR,
        });
        log.info({ subscriptionId: row.id, paymentId: payment.id, applied }, 'payment applied to period');
        return { applied, snapshot: toSnapshot(subscription) };
      });
    },

    /**
     * Starts the user's one free trial on this subscription: marks users.trial_used_at and extends
     * the period by `days`, in one transaction (a cancelled subscription gets nothing and the trial
     * stays available).
     *
     * @param input.days trial length in whole days, 1..3660
     * @idempotency userId (users.trial_used_at): a second call, for any subscription, is `applied: false`
     * @throws ApplicationFailure typed NOT_FOUND, INVALID_INPUT (days)
     */
    async grantTrial(input) {
      return asActivity(async () => {
        requireDays(input.days);
        const result = await db.transaction(async (tx) => {
          const row = await lockSubscription(tx, input.subscriptionId);
          if (row.status === 'cancelled') return { applied: false, row };
          const { marked } = await markTrialUsed(tx, { userId: row.user_id, actor: LIFECYCLE_ACTOR });
          if (!marked) return { applied: false, row };
          const extended = await extendSubscriptionByDays(tx, {
            subscriptionId: row.id,
            days: input.days,
            requestKey: `trial:${row.user_id}`,
            reason: 'trial',
            actor: LIFECYCLE_ACTOR,
          });
          if (!extended.applied) throw new SubscriptionStateError(`trial of user ${row.user_id} was recorded without its mark`);
          return { applied: true, row: extended.subscription };
        });
        log.info({ subscriptionId: input.subscriptionId, applied: result.applied, days: input.days }, 'trial grant');
        return { applied: result.applied, snapshot: toSnapshot(result.row) };
      });
    },

    /**
     * Operator extension by `days` (from end_date while active, from now when pending or expired;
     * an expired one needs provisioning again). A cancelled subscription is refused (`applied: false`).
     *
     * @param input.days whole days, 1..3660
     * @param input.requestId unique per operator request (the update id), 1..180 characters
     * @idempotency subscriptionId+requestId (the extension's audit row)
     * @throws ApplicationFailure typed NOT_FOUND, INVALID_INPUT (days, requestId)
     */
    async extendPeriod(input) {
      return asActivity(async () => {
        requireDays(input.days);
        if (input.requestId === '' || input.requestId.length > 180) throw new InvalidInputError('requestId must be 1..180 characters');
        const { applied, subscription } = await extendSubscriptionByDays(db, {
          subscriptionId: input.subscriptionId,
          days: input.days,
          requestKey: `extend:${input.requestId}`,
          reason: 'operator',
          actor: input.actor,
        });
        log.info({ subscriptionId: input.subscriptionId, applied, days: input.days, actor: input.actor.type }, 'period extension');
        return { applied, snapshot: toSnapshot(subscription) };
      });
    },

    /**
     * active -> expired once end_date has passed (a renewal that landed first wins: `changed: false`
     * and the snapshot shows the new period), and gives the server slot back in the same
     * transaction; server_id keeps naming the server, so a late payment can re-enable the same key.
     *
     * @idempotency subscriptionId+endsAt: expiring an expired subscription changes nothing (its slot
     *   is released if it still held one)
     * @throws ApplicationFailure typed NOT_FOUND
     */
    async markExpired(input) {
      return asActivity(async () => {
        const result = await db.transaction(async (tx) => {
          const { changed, subscription } = await markSubscriptionExpired(tx, { subscriptionId: input.subscriptionId, actor: LIFECYCLE_ACTOR });
          if (subscription.status === 'expired') await releaseServerSlot(tx, { subscriptionId: subscription.id, actor: LIFECYCLE_ACTOR });
          return { changed, subscription };
        });
        log.info({ subscriptionId: input.subscriptionId, changed: result.changed, status: result.subscription.status }, 'expiry');
        return { changed: result.changed, snapshot: toSnapshot(await loadSubscription(db, input.subscriptionId)) };
      });
    },

    /**
     * pending | active -> cancelled, giving the server slot back in the same transaction. The period
     * is kept as it was (for the record); refunds are separate (refundToBalance).
     *
     * @idempotency subscriptionId: cancelling a cancelled (or expired) subscription changes nothing
     * @throws ApplicationFailure typed NOT_FOUND
     */
    async markCancelled(input) {
      return asActivity(async () => {
        const result = await db.transaction(async (tx) => {
          const { changed, subscription } = await cancelSubscription(tx, { subscriptionId: input.subscriptionId, actor: input.actor });
          if (subscription.status === 'cancelled') await releaseServerSlot(tx, { subscriptionId: subscription.id, actor: input.actor });
          return { changed, subscription };
        });
        log.info({ subscriptionId: input.subscriptionId, changed: result.changed, actor: input.actor.type }, 'cancellation');
        return { changed: result.changed, snapshot: toSnapshot(await loadSubscription(db, input.subscriptionId)) };
      });
    },
  };
}
