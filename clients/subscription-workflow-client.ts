/**
 * Every call into `subscription-{id}` from outside the workflow: the one signal-with-start the
 * purchase paths, the trial, the payment activities and the sweeps wake it with, and the
 * signals, updates and the query sent to a running one (failover, the panel reconciler, operator
 * commands). Names come from workflows/contract.ts; payloads are the workflow's own types.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, type QueryDefinition, type UpdateDefinition } from '@temporalio/common';
import {
  ExpiresAtAttribute,
  PlanIdAttribute,
  QueryName,
  ServerIdAttribute,
  SignalName,
  SubscriptionStatusAttribute,
  UpdateName,
  UserIdAttribute,
  WorkflowType,
  subscriptionWorkflowId,
} from '../workflows/contract';
import { initialState, type LifecycleSettings, type SubscriptionState } from '../workflows/subscription-lifecycle';
import type {
  EnsureClientSignal,
  MoveToServerSignal,
  PaymentCompletedSignal,
  TrialGrantedSignal,
  cancelUpdate,
  extendUpdate,
  getStateQuery,
  moveToServerUpdate,
  refundToBalanceUpdate,
} from '../workflows/subscription-messages';
import type { SubscriptionWorkflowInput, subscriptionWorkflow } from '../workflows/subscription-workflow';

export type { SubscriptionState };
export type {
  EnsureClientSignal,
  MoveToServerSignal,
  PaymentCompletedSignal,
  TrialGrantedSignal,
} from '../workflows/subscription-messages';
export type { SubscriptionWorkflowInput } from '../workflows/subscription-workflow';

/** Where `subscription-{id}` runs when a signal has to start it. */
export interface SubscriptionWorkflowTarget {
  client: Client;
  taskQueue: string;
}

/** The signals that may start `subscription-{id}`, by name, with their payloads. */
export interface SubscriptionStartSignals {
  [SignalName.paymentCompleted]: PaymentCompletedSignal;
  [SignalName.trialGranted]: TrialGrantedSignal;
  [SignalName.ensureClient]: EnsureClientSignal;
}

/**
 * Sends `signal` with its payload to `subscription-{id}`, starting the workflow first (with this
 * input and its search attributes) when it is not running. The one way anything starts it.
 * @returns the workflow id
 * @throws the client's errors (Temporal unreachable)
 */
export async function signalWithStartSubscription<Name extends keyof SubscriptionStartSignals>(
  target: SubscriptionWorkflowTarget,
  input: SubscriptionWorkflowInput,
  signal: Name,
  payload: SubscriptionStartSignals[Name],
): Promise<string> {
  const workflowId = subscriptionWorkflowId(input.subscriptionId);
  await target.client.workflow.signalWithStart<typeof subscriptionWorkflow, [SubscriptionStartSignals[Name]]>(WorkflowType.subscription, {
    workflowId,
    taskQueue: target.taskQueue,
    args: [input],
    signal,
    signalArgs: [payload],
    typedSearchAttributes: [
      { key: UserIdAttribute, value: String(input.userId) },
      { key: PlanIdAttribute, value: String(input.planId) },
      { key: SubscriptionStatusAttribute, value: 'awaiting_payment' },
    ],
  });
  return workflowId;
}

/** The argument of an update the workflow defines (workflows/subscription-messages.ts). */
type UpdateArg<Definition> = Definition extends UpdateDefinition<unknown, [infer Arg], string> ? Arg : never;
/** The result of an update the workflow defines. */
type UpdateResult<Definition> = Definition extends UpdateDefinition<infer Result, [unknown], string> ? Result : never;
/** The result of a query the workflow defines. */
type QueryResult<Definition> = Definition extends QueryDefinition<infer Result, [], string> ? Result : never;

/** Options of an update: the Temporal update id, so a redelivered request attaches to the first. */
export interface SubscriptionUpdateOptions {
  updateId: string;
}

/** Calls into a running `subscription-{id}` (see {@link createSubscriptionWorkflowClient}). */
export interface SubscriptionWorkflowClient {
  /**
   * Asks the workflow to make sure its client exists (`ensureClient`).
   * @returns false when no workflow runs for the subscription
   */
  signalEnsureClient(subscriptionId: number, signal: EnsureClientSignal): Promise<boolean>;
  /**
   * Tells the workflow to move off a dead server (`moveToServer`, failover).
   * @returns false when no workflow runs for the subscription
   */
  signalMoveToServer(subscriptionId: number, signal: MoveToServerSignal): Promise<boolean>;
  /** Operator extension (`extend` update); returns the new end. */
  extend(
    subscriptionId: number,
    update: UpdateArg<typeof extendUpdate>,
    options: SubscriptionUpdateOptions,
  ): Promise<UpdateResult<typeof extendUpdate>>;
  /** Operator refund of a payment to the balance (`refundToBalance` update). */
  refund(
    subscriptionId: number,
    update: UpdateArg<typeof refundToBalanceUpdate>,
    options: SubscriptionUpdateOptions,
  ): Promise<UpdateResult<typeof refundToBalanceUpdate>>;
  /** Operator move to a chosen (or any other) server (`moveToServerNow` update). */
  move(
    subscriptionId: number,
    update: UpdateArg<typeof moveToServerUpdate>,
    options: SubscriptionUpdateOptions,
  ): Promise<UpdateResult<typeof moveToServerUpdate>>;
  /** Operator cancel (`cancelNow` update); returns the final state. */
  cancel(
    subscriptionId: number,
    update: UpdateArg<typeof cancelUpdate>,
    options: SubscriptionUpdateOptions,
  ): Promise<UpdateResult<typeof cancelUpdate>>;
  /** The workflow's state (`getState` query; a closed workflow is replayed by a worker to answer). */
  getState(subscriptionId: number): Promise<QueryResult<typeof getStateQuery>>;
}

/**
 * Builds the calls into running subscription workflows on `client`. Updates and the query throw
 * the client's errors (WorkflowNotFoundError, WorkflowUpdateFailedError, ...) for the caller to
 * judge; the signals answer false for a subscription without a running workflow.
 */
export function createSubscriptionWorkflowClient(client: Client): SubscriptionWorkflowClient {
  const handleOf = (subscriptionId: number): WorkflowHandle<typeof subscriptionWorkflow> =>
    client.workflow.getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(subscriptionId));

  async function signalRunning<Payload>(subscriptionId: number, name: string, payload: Payload): Promise<boolean> {
    try {
      await handleOf(subscriptionId).signal<[Payload]>(name, payload);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  function update<Ret, Arg>(subscriptionId: number, name: string, arg: Arg, options: SubscriptionUpdateOptions): Promise<Ret> {
    return handleOf(subscriptionId).executeUpdate<Ret, [Arg]>(name, { args: [arg], updateId: options.updateId });
  }

  return {
    signalEnsureClient: (subscriptionId, signal) => signalRunning(subscriptionId, SignalName.ensureClient, signal),
    signalMoveToServer: (subscriptionId, signal) => signalRunning(subscriptionId, SignalName.moveToServer, signal),
    extend: (subscriptionId, input, options) => update(subscriptionId, UpdateName.extend, input, options),
    refund: (subscriptionId, input, options) => update(subscriptionId, UpdateName.refundToBalance, input, options),
    move: (subscriptionId, input, options) => update(subscriptionId, UpdateName.moveToServer, input, options),
    cancel: (subscriptionId, input, options) => update(subscriptionId, UpdateName.cancel, input, options),
    getState: (subscriptionId) => handleOf(subscriptionId).query<QueryResult<typeof getStateQuery>>(QueryName.getState),
  };
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
  const state: SubscriptionState = {
    ...initialState(input.settings),
    phase: 'active',
    endsAt: input.endsAt.toISOString(),
    serverId: input.serverId,
  };
  try {
    await target.client.workflow.start<typeof subscriptionWorkflow>(WorkflowType.subscription, {
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
