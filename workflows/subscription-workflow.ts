import { condition, defineQuery, defineSignal, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import { ActivityProfile } from './activity-options';
import { QueryName, SignalName, SubscriptionStatusAttribute } from './contract';
import { decideNext, initialSubscriptionState, type PaymentCompleted, type SubscriptionEvent, type SubscriptionState } from './subscription-state';

/** Input of `subscription-{subscriptionId}`. */
export interface SubscriptionWorkflowInput {
  subscriptionId: number;
  userId: number;
  planId: number;
  /** Carried state after continue-as-new; absent on first start. */
  state?: SubscriptionState;
}

/** Signal: a payment for this subscription completed (deduplicated by paymentId). */
export const paymentCompletedSignal = defineSignal<[PaymentCompleted]>(SignalName.paymentCompleted);
/** Signal: an operator cancels the subscription. */
export const cancelSignal = defineSignal<[]>(SignalName.cancel);
/** Query: the current state. */
export const getStateQuery = defineQuery<SubscriptionState>(QueryName.getState);

const db = proxyActivities<Activities>(ActivityProfile.database);

/**
 * The life of one subscription. Handlers are registered first; the main loop applies events
 * through the pure `decideNext` and records every applied one in the audit log.
 */
export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionState> {
  let state = input.state ?? initialSubscriptionState();
  const inbox: SubscriptionEvent[] = [];
  setHandler(paymentCompletedSignal, (payment) => void inbox.push({ type: 'paymentCompleted', payment }));
  setHandler(cancelSignal, () => void inbox.push({ type: 'cancel' }));
  setHandler(getStateQuery, () => state);

  await db.recordAudit({
    action: 'subscription.workflow_started',
    entityType: 'subscription',
    entityId: input.subscriptionId,
    userId: input.userId,
    details: { planId: input.planId },
  });

  while (state.status !== 'cancelled') {
    await condition(() => inbox.length > 0);
    const event = inbox.shift();
    if (event === undefined) continue;
    const decision = decideNext(state, event);
    if (!decision.applied) continue;
    state = decision.state;
    upsertSearchAttributes([{ key: SubscriptionStatusAttribute, value: state.status }]);
    await db.recordAudit({
      action: `subscription.${event.type}`,
      entityType: 'subscription',
      entityId: input.subscriptionId,
      userId: input.userId,
      details: event.type === 'paymentCompleted' ? { paymentId: event.payment.paymentId } : {},
    });
  }
  return state;
}
