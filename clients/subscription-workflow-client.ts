/**
 * Signal-with-start of `subscription-{id}`: the one way the purchase paths, the payment activities
 * and the sweeps wake a subscription's workflow (starting it with the same input and search
 * attributes if it is not running).
 */
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { PlanIdAttribute, SubscriptionStatusAttribute, UserIdAttribute, subscriptionWorkflowId } from '../workflows/contract';
import type { SubscriptionWorkflowInput, subscriptionWorkflow } from '../workflows/subscription-workflow';

/** Workflow type name of `subscription-{subscriptionId}`. */
export const SUBSCRIPTION_WORKFLOW_TYPE = 'subscriptionWorkflow';

/**
 * Sends `signal` with its one argument to `subscription-{id}`, starting the workflow first when it
 * is not running.
 * @returns the workflow id
 */
export async function signalWithStartSubscription<Arg>(
  target: { client: Client; taskQueue: string },
  input: SubscriptionWorkflowInput,
  signal: string | SignalDefinition<[Arg]>,
  signalArg: Arg,
): Promise<string> {
  const workflowId = subscriptionWorkflowId(input.subscriptionId);
  await target.client.workflow.signalWithStart<typeof subscriptionWorkflow, [Arg]>(SUBSCRIPTION_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: target.taskQueue,
    args: [input],
    signal,
    signalArgs: [signalArg],
    typedSearchAttributes: [
      { key: UserIdAttribute, value: String(input.userId) },
      { key: PlanIdAttribute, value: String(input.planId) },
      { key: SubscriptionStatusAttribute, value: 'awaiting_payment' },
    ],
  });
  return workflowId;
}
