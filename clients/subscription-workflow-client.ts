/**
 * Signal-with-start of `subscription-{id}`: the one way the purchase paths, the payment activities
 * and the sweeps wake a subscription's workflow (starting it with the same input and search
 * attributes if it is not running).
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, type SignalDefinition } from '@temporalio/common';
import {
  ExpiresAtAttribute,
  PlanIdAttribute,
  ServerIdAttribute,
  SubscriptionStatusAttribute,
  UserIdAttribute,
  subscriptionWorkflowId,
} from '../workflows/contract';
import { initialState, type LifecycleSettings, type SubscriptionState } from '../workflows/subscription-lifecycle';
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

/**
 * Starts `subscription-{id}` for a subscription taken over from a panel (npm run import-panel):
 * it begins in the active phase with the imported period end and server, so reminders, renewal,
 * expiry and the client's removal run as for any paid subscription. Never starts a second run:
 * an id already used (running or finished) is left alone.
 *
 * @returns 'started', or 'exists' when `subscription-{id}` was already started once
 */
export async function startImportedSubscription(
  target: { client: Client; taskQueue: string },
  input: { subscriptionId: number; userId: number; planId: number; serverId: number; endsAt: Date; settings: LifecycleSettings },
): Promise<'started' | 'exists'> {
  const state: SubscriptionState = { ...initialState(input.settings), phase: 'active', endsAt: input.endsAt.toISOString(), serverId: input.serverId };
  try {
    await target.client.workflow.start<typeof subscriptionWorkflow>(SUBSCRIPTION_WORKFLOW_TYPE, {
      workflowId: subscriptionWorkflowId(input.subscriptionId),
      taskQueue: target.taskQueue,
      args: [{ subscriptionId: input.subscriptionId, userId: input.userId, planId: input.planId, state }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: UserIdAttribute, value: String(input.userId) },
        { key: PlanIdAttribute, value: String(input.planId) },
        { key: SubscriptionStatusAttribute, value: 'active' },
        { key: ServerIdAttribute, value: String(input.serverId) },
        { key: ExpiresAtAttribute, value: input.endsAt },
      ],
    });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'exists';
    throw error;
  }
}
