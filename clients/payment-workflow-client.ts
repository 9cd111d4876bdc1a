/**
 * How the bot and the api talk to `payment-{paymentId}` through the Temporal client: start it and
 * wait for its invoice (update-with-start), or wake it with a verdict signal (signal-with-start, so
 * a workflow that already ended, e.g. timed out before a late payment, runs again and settles it).
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { PaymentRow } from '../sql/schemas/payment-row';
import {
  PaymentMethodAttribute,
  PaymentStatusAttribute,
  SignalName,
  UpdateName,
  UserIdAttribute,
  WorkflowType,
  paymentWorkflowId,
} from '../workflows/contract';
import type { PaymentState, PaymentWorkflowInput, paymentWorkflow, PaymentVerdictHint } from '../workflows/payment-workflow';

export type { PaymentState, PaymentVerdictHint } from '../workflows/payment-workflow';

/** Where payment workflows run. */
export interface PaymentWorkflowTarget {
  client: Client;
  taskQueue: string;
  /** Verdict timeout passed to new runs, in minutes. */
  timeoutMinutes: number;
}

function startOptions(target: PaymentWorkflowTarget, payment: PaymentRow) {
  const input: PaymentWorkflowInput = { paymentId: payment.id, timeoutMinutes: target.timeoutMinutes };
  return {
    workflowId: paymentWorkflowId(payment.id),
    taskQueue: target.taskQueue,
    args: [input] as [PaymentWorkflowInput],
    typedSearchAttributes: [
      { key: UserIdAttribute, value: String(payment.user_id) },
      { key: PaymentMethodAttribute, value: payment.payment_method },
      { key: PaymentStatusAttribute, value: 'pending' },
    ],
  };
}

/**
 * Starts `payment-{id}` (or attaches to the running one) and returns its state once the invoice
 * exists, the balance was debited, or the payment failed.
 * @param waitMs bound on the whole call, in milliseconds
 * @throws the client's errors (e.g. deadline exceeded when no worker answers in time)
 */
export async function startPaymentAndWaitForInvoice(
  target: PaymentWorkflowTarget,
  payment: PaymentRow,
  waitMs: number,
): Promise<PaymentState> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof paymentWorkflow>(WorkflowType.payment, {
    ...startOptions(target, payment),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return target.client.withDeadline(Date.now() + waitMs, () =>
    target.client.workflow.executeUpdateWithStart<typeof paymentWorkflow, PaymentState, []>(UpdateName.waitForInvoice, {
      startWorkflowOperation,
    }),
  );
}

/**
 * Signals `payment-{id}` that a verdict may be in, starting a new run when none is running.
 * @throws the client's errors (Temporal unreachable): the caller answers 503 so the provider retries
 */
export async function signalPaymentVerdict(target: PaymentWorkflowTarget, payment: PaymentRow, hint: PaymentVerdictHint): Promise<void> {
  await target.client.workflow.signalWithStart<typeof paymentWorkflow, [PaymentVerdictHint?]>(WorkflowType.payment, {
    ...startOptions(target, payment),
    signal: SignalName.paymentVerdict,
    signalArgs: [hint],
  });
}
