/**
 * Signals, updates and the query of `subscription-{id}`, with the validators that guard them.
 * Validators run before anything reaches history: a rejected update leaves no trace.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { QueryName, SignalName, UpdateName } from './contract';
import type { SubscriptionState } from './subscription-lifecycle';

/** Payload of the paymentCompleted signal. */
export interface PaymentCompletedSignal {
  paymentId: number;
}
/** Payload of the trialGranted signal. */
export interface TrialGrantedSignal {
  days: number;
  /** When set, the trial lasts this many seconds instead of `days` (benches: expiries within a run). */
  seconds?: number;
}
/** Payload of the cancel signal. */
export interface CancelSignal {
  /** Operator's Telegram id; absent when the user cancels. */
  operatorTelegramId?: number;
}
/** Payload of the moveToServer signal (failover). */
export interface MoveToServerSignal {
  fromServerId: number;
  reason: 'failover' | 'operator';
}
/** Payload of the ensureClient signal (sweeps and the panel reconciler). */
export interface EnsureClientSignal {
  /** Who found the gap, for the audit row and the logs, e.g. 'sweep:active-without-client'. */
  reason: string;
}
/** Operator extension. `requestId` makes a retried update apply once. */
export interface ExtendUpdate {
  days: number;
  requestId: string;
  operatorTelegramId: number;
}
/** Operator refund of one of this subscription's payments to the user's balance. */
export interface RefundUpdate {
  paymentId: number;
  operatorTelegramId: number;
}
/** Operator move to a chosen (or any other) server. */
export interface MoveUpdate {
  toServerId?: number;
  operatorTelegramId: number;
}

export const paymentCompletedSignal = defineSignal<[PaymentCompletedSignal]>(SignalName.paymentCompleted);
export const trialGrantedSignal = defineSignal<[TrialGrantedSignal]>(SignalName.trialGranted);
export const cancelSignal = defineSignal<[CancelSignal]>(SignalName.cancel);
export const moveToServerSignal = defineSignal<[MoveToServerSignal]>(SignalName.moveToServer);
export const ensureClientSignal = defineSignal<[EnsureClientSignal]>(SignalName.ensureClient);
export const extendUpdate = defineUpdate<{ endsAt: string | null }, [ExtendUpdate]>(UpdateName.extend);
export const refundToBalanceUpdate = defineUpdate<{ amountKopecks: string }, [RefundUpdate]>(UpdateName.refundToBalance);
export const moveToServerUpdate = defineUpdate<{ serverId: number | null }, [MoveUpdate]>(UpdateName.moveToServer);
export const cancelUpdate = defineUpdate<SubscriptionState, [CancelSignal]>(UpdateName.cancel);
export const getStateQuery = defineQuery<SubscriptionState>(QueryName.getState);

const isPositiveId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** Rejects an extension that is not a whole number of days in 1..3650 or lacks a request id. */
export function validateExtend(input: ExtendUpdate): void {
  if (!Number.isSafeInteger(input.days) || input.days < 1 || input.days > 3650)
    throw new Error('days must be a whole number from 1 to 3650');
  if (typeof input.requestId !== 'string' || input.requestId.length < 1 || input.requestId.length > 100)
    throw new Error('requestId is required');
  if (!isPositiveId(input.operatorTelegramId)) throw new Error('operatorTelegramId is required');
}

/** Rejects a refund of a payment this subscription never applied. */
export function validateRefund(input: RefundUpdate, state: SubscriptionState): void {
  if (!isPositiveId(input.paymentId)) throw new Error('paymentId is required');
  if (!state.seenPaymentIds.includes(input.paymentId)) throw new Error(`payment ${input.paymentId} was not applied to this subscription`);
  if (!isPositiveId(input.operatorTelegramId)) throw new Error('operatorTelegramId is required');
  if (state.phase === 'cancelled' || state.phase === 'expired') throw new Error(`subscription is ${state.phase}`);
}

/** Rejects a move of a subscription that has no client to move. */
export function validateMove(input: MoveUpdate, state: SubscriptionState): void {
  if (input.toServerId !== undefined && !isPositiveId(input.toServerId)) throw new Error('toServerId must be a server id');
  if (!isPositiveId(input.operatorTelegramId)) throw new Error('operatorTelegramId is required');
  if (state.phase !== 'active' || state.serverId === null)
    throw new Error(`only an active subscription with a client can move (it is ${state.phase})`);
  if (input.toServerId === state.serverId) throw new Error('the subscription is already on that server');
}
