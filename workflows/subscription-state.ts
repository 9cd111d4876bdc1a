/**
 * The subscription workflow's state and its pure transitions. Everything here is deterministic
 * and free of I/O, so it is unit-tested without Temporal.
 */

/** Where a subscription is in its life. */
export type SubscriptionStatus = 'awaiting_payment' | 'active' | 'cancelled';

/** A payment the workflow has been told about. */
export interface PaymentCompleted {
  paymentId: number;
}

/** The workflow's whole state: plain JSON, carried through continue-as-new. */
export interface SubscriptionState {
  status: SubscriptionStatus;
  /** Payment ids already applied (bounded), so a redelivered signal is a no-op. */
  seenPaymentIds: number[];
}

/** How many payment ids the state remembers for deduplication. */
export const SEEN_PAYMENTS_LIMIT = 100;

/** The state of a newly started subscription workflow. */
export function initialSubscriptionState(): SubscriptionState {
  return { status: 'awaiting_payment', seenPaymentIds: [] };
}

/** Events the workflow reacts to. */
export type SubscriptionEvent = { type: 'paymentCompleted'; payment: PaymentCompleted } | { type: 'cancel' };

/** The next state and whether the event changed anything (a duplicate does not). */
export interface Decision {
  state: SubscriptionState;
  applied: boolean;
}

/** Pure transition: applies one event to the state. */
export function decideNext(state: SubscriptionState, event: SubscriptionEvent): Decision {
  switch (event.type) {
    case 'paymentCompleted': {
      if (state.status === 'cancelled' || state.seenPaymentIds.includes(event.payment.paymentId)) {
        return { state, applied: false };
      }
      const seenPaymentIds = [...state.seenPaymentIds, event.payment.paymentId].slice(-SEEN_PAYMENTS_LIMIT);
      return { state: { status: 'active', seenPaymentIds }, applied: true };
    }
    case 'cancel':
      if (state.status === 'cancelled') return { state, applied: false };
      return { state: { ...state, status: 'cancelled' }, applied: true };
  }
}
