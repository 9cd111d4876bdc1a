/**
 * The subscription workflow's work items and the small helpers around them: who an action is
 * attributed to, and the search attributes that mirror the state for operators.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { LifecycleActor } from '../activities/contracts/lifecycle-activities';
import { ExpiresAtAttribute, ServerIdAttribute, SubscriptionStatusAttribute } from './contract';
import type { Retry, SubscriptionState } from './subscription-lifecycle';
import type { CancelSignal, ExtendUpdate, RefundUpdate } from './subscription-messages';

/** What every work item carries: its id (updates wait for their result by it) and how it came. */
interface WorkBase {
  id: number;
  /** An update waits for this item: a failure goes back to its caller instead of being parked. */
  viaUpdate?: boolean;
  /** Retry bookkeeping when the item comes back from parking. */
  retry?: Retry;
}

/** One unit of work for the main loop. */
export type Work = WorkBase &
  (
    | { type: 'payment'; paymentId: number }
    | { type: 'trial'; days: number; seconds?: number }
    | { type: 'cancel'; actor: LifecycleActor }
    | { type: 'ensureClient' }
    | { type: 'referral'; paymentId: number }
    | { type: 'move'; fromServerId: number; toServerId?: number }
    | { type: 'extend'; update: ExtendUpdate }
    | { type: 'refund'; update: RefundUpdate }
  );

/**
 * How urgent a work item is: control work (cancel, refund: 2; extend, move: 1) is taken before
 * and interrupts the panel step of routine work (payments, trials, client repairs: 0), so it never
 * waits behind a stuck panel call.
 */
export function priorityOf(work: Pick<Work, 'type'>): number {
  switch (work.type) {
    case 'cancel':
    case 'refund':
      return 2;
    case 'extend':
    case 'move':
      return 1;
    default:
      return 0;
  }
}

/** Takes the most urgent item out of the queue (first come first within a priority). */
export function takeNext(inbox: Work[]): Work | undefined {
  let best = -1;
  for (let index = 0; index < inbox.length; index += 1) {
    const candidate = inbox[index];
    const current = best < 0 ? undefined : inbox[best];
    if (candidate !== undefined && (current === undefined || priorityOf(candidate) > priorityOf(current))) best = index;
  }
  return best < 0 ? undefined : inbox.splice(best, 1)[0];
}

/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A work item before the loop numbers it. */
export type WorkInput = DistributiveOmit<Work, 'id'>;

/** Who a cancel is attributed to: the operator who sent it, else the subscription's user. */
export function actorOf(signal: CancelSignal | undefined, userId: number): LifecycleActor {
  return signal?.operatorTelegramId === undefined ? { type: 'user', userId } : { type: 'operator', telegramId: signal.operatorTelegramId };
}

/** Mirrors the state into the search attributes operators filter by. */
export function publish(state: SubscriptionState): void {
  upsertSearchAttributes([
    { key: SubscriptionStatusAttribute, value: state.phase },
    ...(state.serverId === null ? [] : [{ key: ServerIdAttribute, value: String(state.serverId) }]),
    ...(state.endsAt === null ? [] : [{ key: ExpiresAtAttribute, value: new Date(state.endsAt) }]),
  ]);
}
