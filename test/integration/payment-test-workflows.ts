/**
 * Workflows for the payment integration tests: the real `paymentWorkflow` next to a stub
 * `subscriptionWorkflow` that only records every `paymentCompleted` signal it receives (no
 * deduplication), so the tests count hand-offs without depending on the real subscription workflow.
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';

export { paymentWorkflow } from '../../workflows/payment-workflow';
export { paymentReconcileWorkflow } from '../../workflows/payment-reconcile-workflow';
export { starsChargeWorkflow } from '../../workflows/stars-charge-workflow';
export { starsReconcileWorkflow } from '../../workflows/stars-reconcile-workflow';

/** The stub's view of `paymentCompleted`. */
export const stubPaymentCompletedSignal = defineSignal<[{ paymentId: number }]>('paymentCompleted');
/** Every paymentId signalled so far, duplicates included. */
export const stubReceivedPaymentsQuery = defineQuery<number[]>('receivedPayments');

/** Stub of `subscription-{id}`: records signals, ends after 10 minutes. */
export async function subscriptionWorkflow(_input: { subscriptionId: number; userId: number; planId: number }): Promise<number[]> {
  const received: number[] = [];
  setHandler(stubPaymentCompletedSignal, ({ paymentId }) => void received.push(paymentId));
  setHandler(stubReceivedPaymentsQuery, () => received);
  await condition(() => false, '10 minutes');
  return received;
}
