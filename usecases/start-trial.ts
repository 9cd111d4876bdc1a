/**
 * The free trial from the bot: checks that the user may take it, creates (or reuses) a pending
 * subscription on the cheapest active plan and signal-with-starts `subscription-{id}` with
 * `trialGranted { days }`. The grantTrial activity is the real once-per-user fence
 * (users.trial_used_at); the checks here only give the user a friendly answer first.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Actor } from '../sql/repositories/audit-repository';
import { listActivePlans } from '../sql/repositories/plans-repository';
import { findUnpaidPendingSubscription } from '../sql/repositories/purchases-repository';
import { createPendingSubscription, listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { userRow } from '../sql/schemas/user-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import { signalWithStartSubscription } from '../clients/subscription-workflow-client';

/** Why a trial is refused (the bot shows a text per reason). */
export type TrialRefusalReason = 'already-used' | 'has-subscription' | 'unavailable';

/** Outcome of {@link TrialService.startTrial}. Structurally the bot's `TrialStart`. */
export type TrialResult = { kind: 'started'; days: number; subscriptionId: number } | { kind: 'refused'; reason: TrialRefusalReason };

/** Dependencies of {@link createTrialService}. */
export interface TrialServiceDeps {
  db: DatabasePool;
  client: Client;
  taskQueue: string;
  /** Trial length in days (1..365), or 'disabled'. */
  trialDays: number | 'disabled';
  /** When set, the trial lasts this many seconds instead (benches: real expiries within a run). */
  trialSeconds?: number;
}

/** The trial service the bot uses. */
export interface TrialService {
  /** Trial length in days, or null when trials are off. */
  trialDays(): number | null;
  /**
   * Starts the user's trial.
   * @throws database errors and the Temporal client's errors (the bot answers "try again";
   *   a retry reuses the pending subscription created here)
   */
  startTrial(input: { userId: number }): Promise<TrialResult>;
}

const lockedUser = userRow.pick({ id: true, trial_used_at: true });

/** Builds the trial service. */
export function createTrialService(deps: TrialServiceDeps): TrialService {
  const days = deps.trialDays === 'disabled' ? null : deps.trialDays;

  /**
   * Under the user's row lock, so two /trial at once (a double tap, a redelivered update) end
   * on one subscription: the second waits, then finds the first one's pending subscription.
   */
  async function trialSubscription(userId: number, planId: number): Promise<SubscriptionRow | TrialRefusalReason> {
    const actor: Actor = { type: 'user', userId };
    return deps.db.transaction(async (tx) => {
      const user = await tx.maybeOne(sql.type(lockedUser)`SELECT id, trial_used_at FROM users WHERE id = ${userId} FOR UPDATE`);
      if (user === null) return 'unavailable';
      if (user.trial_used_at !== null) return 'already-used';
      const subscriptions = await listUserSubscriptions(tx, userId);
      if (subscriptions.some((subscription) => subscription.status === 'active')) return 'has-subscription';
      return (
        (await findUnpaidPendingSubscription(tx, { userId, planId })) ?? (await createPendingSubscription(tx, { userId, planId, actor }))
      );
    });
  }

  return {
    trialDays: () => days,
    async startTrial({ userId }) {
      if (days === null) return { kind: 'refused', reason: 'unavailable' };
      const [cheapest] = await listActivePlans(deps.db);
      if (cheapest === undefined) return { kind: 'refused', reason: 'unavailable' };
      const subscription = await trialSubscription(userId, cheapest.id);
      if (typeof subscription === 'string') return { kind: 'refused', reason: subscription };
      await signalWithStartSubscription(deps, { subscriptionId: subscription.id, userId, planId: cheapest.id }, 'trialGranted', {
        days,
        ...(deps.trialSeconds === undefined ? {} : { seconds: deps.trialSeconds }),
      });
      return { kind: 'started', days, subscriptionId: subscription.id };
    },
  };
}
