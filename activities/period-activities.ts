import type { DatabasePool } from '../lib/db/create-pool';
import { InvalidInputError, RecordNotFoundError, SubscriptionStateError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Actor } from '../sql/repositories/audit-repository';
import { getPayment } from '../sql/repositories/payments-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { getPeriodChange, recordPeriodChange } from '../sql/repositories/period-changes-repository';
import { claimServerSlot, releaseServerSlot } from '../sql/repositories/server-slots-repository';
import {
  cancelSubscription,
  extendSubscriptionByDays,
  extendSubscriptionWithPayment,
  getSubscription,
  hasExtension,
  lockSubscription,
  markSubscriptionExpired,
} from '../sql/repositories/subscriptions-repository';
import { markTrialUsed } from '../sql/repositories/users-repository';
import { planPeriod } from '../sql/schemas/subscription-plan-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { LifecycleActivities, PeriodResult } from './contracts/lifecycle-activities';
import { creditPaymentToBalance } from './payment-to-balance';
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
  'getSubscriptionSnapshot' | 'applyPayment' | 'grantTrial' | 'extendPeriod' | 'markExpired' | 'markCancelled' | 'holdServerSlot'
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
     * while active and not ended, from now when pending or expired. On a cancelled subscription the
     * payment goes to the user's balance instead (creditPaymentToBalance): `applied: false` with
     * `creditedToBalance`. The first result is recorded (period_changes, key `payment:<paymentId>`)
     * in the transaction that makes the change, and every retry returns it unchanged: `applied`
     * means "this payment's period is in effect", never "this call applied it". A payment that is
     * not completed is `applied: false` and nothing is recorded.
     *
     * @idempotency paymentId
     * @throws ApplicationFailure typed NOT_FOUND (subscription, payment or plan), INVALID_INPUT (the
     *   payment is another subscription's), SUBSCRIPTION_STATE_INVALID (no plan)
     */
    async applyPayment(input) {
      return asActivity(async () => {
        // Both reads at once: the key path waits on them.
        const [row, payment] = await Promise.all([loadSubscription(db, input.subscriptionId), getPayment(db, input.paymentId)]);
        if (payment === null) throw new RecordNotFoundError('payment');
        if (payment.subscription_id !== row.id) throw new InvalidInputError(`payment ${payment.id} is not for subscription ${row.id}`);
        if (row.plan_id === null) throw new SubscriptionStateError(`subscription ${row.id} has no plan to take a duration from`);
        const plan = await getPlan(db, row.plan_id);
        if (plan === null) throw new RecordNotFoundError('plan');
        const requestKey = `payment:${payment.id}`;
        const result = await db.transaction(async (tx): Promise<PeriodResult> => {
          const locked = await lockSubscription(tx, row.id);
          const before = await getPeriodChange(tx, requestKey);
          if (before !== null) return before.result as PeriodResult;
          if (locked.status === 'cancelled') {
            const credited = await creditPaymentToBalance(tx, {
              payment: (await getPayment(tx, payment.id)) ?? payment,
              plan,
              actor: LIFECYCLE_ACTOR,
            });
            if (credited === null) return { applied: false, snapshot: toSnapshot(locked) };
            const outcome: PeriodResult = {
              applied: false,
              snapshot: toSnapshot(locked),
              creditedToBalance: { amountKopecks: credited.toString() },
            };
            await recordPeriodChange(tx, { requestKey, subscriptionId: row.id, kind: 'payment_to_balance', result: outcome });
            return outcome;
          }
          const extended = await extendSubscriptionWithPayment(tx, {
            subscriptionId: row.id,
            paymentId: payment.id,
            ...planPeriod(plan),
            actor: LIFECYCLE_ACTOR,
          });
          if (!extended.applied) {
            // Applied before period_changes existed (applied_at set): in effect, the row is its result.
            const current = await getPayment(tx, payment.id);
            return {
              applied: current?.applied_at !== null && current?.applied_at !== undefined,
              snapshot: toSnapshot(extended.subscription),
            };
          }
          const outcome: PeriodResult = { applied: true, snapshot: toSnapshot(extended.subscription) };
          await recordPeriodChange(tx, { requestKey, subscriptionId: row.id, kind: 'payment', result: outcome });
          return outcome;
        });
        log.info(
          { subscriptionId: row.id, paymentId: payment.id, applied: result.applied, toBalance: result.creditedToBalance !== undefined },
          'payment applied to period',
        );
        return result;
      });
    },

    /**
     * Starts the user's one free trial on this subscription: marks users.trial_used_at and extends
     * the period by `days`, in one transaction (a cancelled subscription gets nothing and the trial
     * stays available). The result is recorded under `trial:<userId>`: every retry for this
     * subscription returns it; a call for another subscription of the user is `applied: false`.
     *
     * @param input.days trial length in whole days, 1..3660
     * @param input.seconds when set, the trial's length in seconds instead (benches: real expiries within minutes)
     * @idempotency userId (users.trial_used_at and the recorded result)
     * @throws ApplicationFailure typed NOT_FOUND, INVALID_INPUT (days, seconds)
     */
    async grantTrial(input) {
      return asActivity(async () => {
        requireDays(input.days);
        if (input.seconds !== undefined && (!Number.isSafeInteger(input.seconds) || input.seconds <= 0))
          throw new InvalidInputError('seconds must be a positive whole number');
        const result = await db.transaction(async (tx): Promise<PeriodResult> => {
          const row = await lockSubscription(tx, input.subscriptionId);
          const requestKey = `trial:${row.user_id}`;
          const before = await getPeriodChange(tx, requestKey);
          if (before !== null)
            return before.subscriptionId === row.id ? (before.result as PeriodResult) : { applied: false, snapshot: toSnapshot(row) };
          if (row.status === 'cancelled') return { applied: false, snapshot: toSnapshot(row) };
          const { marked } = await markTrialUsed(tx, { userId: row.user_id, actor: LIFECYCLE_ACTOR });
          if (!marked) return { applied: await hasExtension(tx, { subscriptionId: row.id, requestKey }), snapshot: toSnapshot(row) };
          const extended = await extendSubscriptionByDays(tx, {
            subscriptionId: row.id,
            days: input.days,
            ...(input.seconds === undefined ? {} : { seconds: input.seconds }),
            requestKey,
            reason: 'trial',
            actor: LIFECYCLE_ACTOR,
          });
          if (!extended.applied) throw new SubscriptionStateError(`trial of user ${row.user_id} was recorded without its mark`);
          const outcome: PeriodResult = { applied: true, snapshot: toSnapshot(extended.subscription) };
          await recordPeriodChange(tx, { requestKey, subscriptionId: row.id, kind: 'trial', result: outcome });
          return outcome;
        });
        log.info({ subscriptionId: input.subscriptionId, applied: result.applied, days: input.days }, 'trial grant');
        return result;
      });
    },

    /**
     * Operator extension by `days` (from end_date while active, from now when pending or expired;
     * an expired one needs provisioning again). A cancelled subscription is refused (`applied:
     * false`). The result is recorded under `extend:<subscriptionId>:<requestId>` and returned on
     * every retry.
     *
     * @param input.days whole days, 1..3660
     * @param input.requestId unique per operator request (the update id), 1..180 characters
     * @idempotency subscriptionId+requestId
     * @throws ApplicationFailure typed NOT_FOUND, INVALID_INPUT (days, requestId)
     */
    async extendPeriod(input) {
      return asActivity(async () => {
        requireDays(input.days);
        if (input.requestId === '' || input.requestId.length > 180) throw new InvalidInputError('requestId must be 1..180 characters');
        const requestKey = `extend:${input.subscriptionId}:${input.requestId}`;
        const result = await db.transaction(async (tx): Promise<PeriodResult> => {
          const row = await lockSubscription(tx, input.subscriptionId);
          const before = await getPeriodChange(tx, requestKey);
          if (before !== null) return before.result as PeriodResult;
          const extension = { subscriptionId: row.id, requestKey: `extend:${input.requestId}` };
          if (row.status === 'cancelled') return { applied: await hasExtension(tx, extension), snapshot: toSnapshot(row) };
          const extended = await extendSubscriptionByDays(tx, { ...extension, days: input.days, reason: 'operator', actor: input.actor });
          // Not extended although not cancelled: it committed before period_changes existed.
          if (!extended.applied) return { applied: true, snapshot: toSnapshot(extended.subscription) };
          const outcome: PeriodResult = { applied: true, snapshot: toSnapshot(extended.subscription) };
          await recordPeriodChange(tx, { requestKey, subscriptionId: row.id, kind: 'extend', result: outcome });
          return outcome;
        });
        log.info(
          { subscriptionId: input.subscriptionId, applied: result.applied, days: input.days, actor: input.actor.type },
          'period extension',
        );
        return result;
      });
    },

    /**
     * active -> expired when the period the workflow's timer was for is still the row's period
     * (end_date <= endsAt, compared at millisecond precision): the workflow's clock decides, never
     * the database's, so a few ms of skew cannot leave an ended period active. A renewal that
     * landed first wins (`changed: false`, the snapshot shows the new period). Gives the server slot
     * back in the same transaction; server_id keeps naming the server, so a late payment can
     * re-enable the same key. `changed`: the expiry of this period is in effect (the same answer on
     * every retry).
     *
     * @param input.endsAt the end (ISO 8601) the workflow's expiry timer was for
     * @idempotency subscriptionId+endsAt
     * @throws ApplicationFailure typed NOT_FOUND, INVALID_INPUT (endsAt)
     */
    async markExpired(input) {
      return asActivity(async () => {
        const endsAt = new Date(input.endsAt);
        if (Number.isNaN(endsAt.getTime())) throw new InvalidInputError('endsAt must be an ISO 8601 instant');
        const result = await db.transaction(async (tx) => {
          await markSubscriptionExpired(tx, { subscriptionId: input.subscriptionId, actor: LIFECYCLE_ACTOR, endsAt });
          const subscription = await lockSubscription(tx, input.subscriptionId);
          if (subscription.status === 'expired') await releaseServerSlot(tx, { subscriptionId: subscription.id, actor: LIFECYCLE_ACTOR });
          const ended = subscription.end_date !== null && subscription.end_date.getTime() <= endsAt.getTime();
          return { changed: subscription.status === 'expired' && ended, subscription };
        });
        log.info({ subscriptionId: input.subscriptionId, changed: result.changed, status: result.subscription.status }, 'expiry');
        return { changed: result.changed, snapshot: toSnapshot(await loadSubscription(db, input.subscriptionId)) };
      });
    },

    /**
     * Makes sure an active subscription holds a server slot before its client is made live again
     * (a payment in the grace window): claims one on the server it lived on when that one is up and
     * has room, else on the least-loaded healthy server (claimServerSlot).
     *
     * @idempotency subscriptionId: a subscription holding a slot keeps it
     * @throws ApplicationFailure typed SUBSCRIPTION_STATE_INVALID (not active), SERVER_FULL
     *   (retryable), NOT_FOUND
     */
    async holdServerSlot(input) {
      return asActivity(async () => {
        const row = await loadSubscription(db, input.subscriptionId);
        if (row.status !== 'active')
          throw new SubscriptionStateError(`subscription ${row.id} is ${row.status}; only an active one holds a slot`);
        const { claimed, server } = await claimServerSlot(db, {
          subscriptionId: row.id,
          preferServerId: row.server_id,
          actor: LIFECYCLE_ACTOR,
        });
        log.info({ subscriptionId: row.id, serverId: server.id, claimed }, 'server slot held');
        return { serverId: server.id };
      });
    },

    /**
     * pending | active -> cancelled, giving the server slot back in the same transaction. The period
     * is kept as it was (for the record); refunds are separate (refundToBalance). `changed`: the
     * subscription is cancelled (by this call or an earlier one), the same answer on every retry.
     *
     * @idempotency subscriptionId: cancelling a cancelled (or expired) subscription changes nothing
     * @throws ApplicationFailure typed NOT_FOUND
     */
    async markCancelled(input) {
      return asActivity(async () => {
        const result = await db.transaction(async (tx) => {
          const { subscription } = await cancelSubscription(tx, { subscriptionId: input.subscriptionId, actor: input.actor });
          if (subscription.status === 'cancelled') await releaseServerSlot(tx, { subscriptionId: subscription.id, actor: input.actor });
          return { changed: subscription.status === 'cancelled', subscription };
        });
        log.info({ subscriptionId: input.subscriptionId, changed: result.changed, actor: input.actor.type }, 'cancellation');
        return { changed: result.changed, snapshot: toSnapshot(await loadSubscription(db, input.subscriptionId)) };
      });
    },
  };
}
