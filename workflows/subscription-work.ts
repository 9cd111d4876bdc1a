/**
 * The subscription workflow's work items and the small helpers around them: who an action is
 * attributed to, and the search attributes that mirror the state for operators.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { LifecycleActor } from '../activities/lifecycle-activity-types';
import { ExpiresAtAttribute, ServerIdAttribute, SubscriptionStatusAttribute } from './contract';
import type { SubscriptionState } from './subscription-lifecycle';
import type { CancelSignal, ExtendUpdate, RefundUpdate } from './subscription-messages';

/** One unit of work for the main loop; updates wait for their result by id. */
export type Work =
  | { id: number; type: 'payment'; paymentId: number }
  | { id: number; type: 'trial'; days: number }
  | { id: number; type: 'cancel'; actor: LifecycleActor }
  | { id: number; type: 'ensureClient' }
  | { id: number; type: 'move'; fromServerId: number; toServerId?: number }
  | { id: number; type: 'extend'; update: ExtendUpdate }
  | { id: number; type: 'refund'; update: RefundUpdate };

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
