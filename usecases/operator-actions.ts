/**
 * Operator actions on the real system: reads from Postgres and the workflow's getState query,
 * changes only through `subscription-{id}` updates (the workflow's activities write and audit
 * them with the operator as actor). Each update carries the request id as its Temporal update
 * id, so a redelivered Telegram update attaches to the first one within a run; the extension's
 * requestId also fences the database change across runs.
 */
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ActivityFailure } from '@temporalio/common';
import type { InvariantReport } from '../activities/contracts/invariant-activities';
import type { DatabasePool } from '../lib/db/create-pool';
import { parseMoney } from '../lib/money';
import { getPlan, listActivePlans } from '../sql/repositories/plans-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { getSubscription, listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { getUserByTelegramId } from '../sql/repositories/users-repository';
import { runInvariantsCheck } from '../clients/invariants-workflow-client';
import { createSubscriptionWorkflowClient } from '../clients/subscription-workflow-client';
import { moveBlocker, type MoveBlocker } from '../sql/repositories/operator-console-repository';
import type { OperatorActions, OperatorRefusal, OperatorResult } from './operator-types';

/** Dependencies of {@link createOperatorActions}. */
export interface OperatorActionsDeps {
  client: Client;
  db: DatabasePool;
  /**
   * How long a change may take before the operator is told it is still running, in
   * milliseconds; default 20 000. The bot handles updates one at a time, so this bounds how long
   * an operator command can hold up everyone else.
   */
  updateWaitMs?: number;
  /** Task queue of the worker; with it, /invariants runs the invariants-check workflow there. */
  taskQueue?: string;
  /** Settle window of an operator's invariant check, in seconds; default 60. */
  invariantsSettleSeconds?: number;
}

/** The message an operator sees for a refused update: the validator's, or the failed activity's. */
export function refusalMessage(error: WorkflowUpdateFailedError): string {
  let cause: Error | undefined = error.cause;
  while (cause instanceof ActivityFailure && cause.cause !== undefined) cause = cause.cause;
  return cause?.message ?? error.message;
}

/** Known refusals of the subscription workflow's validators, by their (English) message. */
const KNOWN_REFUSALS: ReadonlyArray<[RegExp, OperatorRefusal]> = [
  [/^days must be a whole number/, 'bad-days'],
  [/was not applied to this subscription$/, 'payment-not-applied'],
  [/^subscription is (cancelled|expired)$/, 'subscription-ended'],
  [/^only an active subscription with a client can move/, 'not-active'],
  [/^the subscription is already on that server$/, 'same-server'],
  [/^payment \d+ is not for subscription \d+$/, 'payment-not-applied'],
  [/^payment \d+ is in [A-Z]{3}; only RUB goes to the balance$/, 'payment-not-rub'],
  [/^payment \d+ is \w+; only a completed payment is refunded$/, 'payment-not-completed'],
];

/** The code of a refusal message the bot can word in the operator's language, if known. */
export function refusalCode(message: string): OperatorRefusal | undefined {
  return KNOWN_REFUSALS.find(([pattern]) => pattern.test(message))?.[1];
}

/** The English message of a move refused before the workflow is asked. */
const MOVE_BLOCKER_MESSAGES: Record<MoveBlocker, string> = {
  'no-subscription': 'no such subscription',
  'not-active': 'only an active subscription with a client can move',
  'same-server': 'the subscription is already on that server',
  'no-such-server': 'no server has that id',
  'server-unavailable': 'that server cannot take a subscription now (closed, down or full)',
  'no-other-server': 'no other server can take the subscription (open, up, with room)',
};

/** Builds the operator actions. */
export function createOperatorActions(deps: OperatorActionsDeps): OperatorActions {
  const waitMs = deps.updateWaitMs ?? 20_000;
  const subscriptions = createSubscriptionWorkflowClient(deps.client);

  /** Runs one update and turns the client's errors the operator can act on into results. */
  async function change<T>(run: () => Promise<T>): Promise<OperatorResult<T>> {
    try {
      return { ok: true, value: await deps.client.withDeadline(Date.now() + waitMs, run) };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { ok: false, reason: 'no-workflow' };
      if (error instanceof WorkflowUpdateFailedError) {
        const message = refusalMessage(error);
        const code = refusalCode(message);
        return { ok: false, reason: 'rejected', message, ...(code === undefined ? {} : { code }) };
      }
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { ok: false, reason: 'timeout' };
      throw error;
    }
  }

  /**
   * The workflow's phase; null without a workflow. A query needs a worker (a closed workflow is
   * replayed to answer it), so when none answers in time the row is still shown, phase 'unknown'.
   */
  async function workflowPhase(subscriptionId: number): Promise<string | null> {
    try {
      const state = await deps.client.withDeadline(Date.now() + Math.min(waitMs, 5_000), () => subscriptions.getState(subscriptionId));
      return state.phase;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      return 'unknown';
    }
  }

  /**
   * Starts (or joins, for a redelivered command) `invariants-request-{requestId}` and waits for
   * its report; a run still going after the wait is reported as a timeout (it finishes anyway).
   */
  async function checkInvariants(taskQueue: string, requestId: string): Promise<OperatorResult<InvariantReport>> {
    const deadline = Date.now() + waitMs;
    try {
      const report = await runInvariantsCheck(
        { client: deps.client, taskQueue },
        { requestId, settleSeconds: deps.invariantsSettleSeconds ?? 60, deadline },
      );
      return { ok: true, value: report };
    } catch (error) {
      if (error instanceof WorkflowFailedError) return { ok: false, reason: 'rejected', message: error.cause?.message ?? error.message };
      if (Date.now() >= deadline) return { ok: false, reason: 'timeout' };
      throw error;
    }
  }

  return {
    async describeSubscription(subscriptionId) {
      const row = await getSubscription(deps.db, subscriptionId);
      if (row === null) return null;
      const [phase, server, plan] = await Promise.all([
        workflowPhase(subscriptionId),
        row.server_id === null ? null : getServer(deps.db, row.server_id),
        row.plan_id === null ? null : getPlan(deps.db, row.plan_id),
      ]);
      return {
        id: row.id,
        userId: row.user_id,
        status: row.status,
        phase,
        endsAt: row.end_date,
        server: server === null ? null : { id: server.id, name: server.name },
        plan: plan === null ? null : { id: plan.id, name: plan.name },
      };
    },

    async describeUser(telegramId) {
      const user = await getUserByTelegramId(deps.db, telegramId);
      if (user === null) return null;
      const [subscriptions, plans] = await Promise.all([listUserSubscriptions(deps.db, user.id), listActivePlans(deps.db)]);
      const planNames = new Map(plans.map((plan) => [plan.id, plan.name]));
      return {
        userId: user.id,
        telegramId: user.telegram_id,
        username: user.username,
        balanceKopecks: Number(parseMoney(user.balance)),
        autoRenew: user.auto_renew,
        trialUsed: user.trial_used_at !== null,
        subscriptions: subscriptions.map((subscription) => ({
          id: subscription.id,
          status: subscription.status,
          planName: subscription.plan_id === null ? null : (planNames.get(subscription.plan_id) ?? `#${subscription.plan_id}`),
          endsAt: subscription.end_date,
        })),
      };
    },

    extend: ({ subscriptionId, days, requestId, operatorTelegramId }) =>
      change(() => subscriptions.extend(subscriptionId, { days, requestId, operatorTelegramId }, { updateId: requestId })),

    refund: ({ subscriptionId, paymentId, requestId, operatorTelegramId }) =>
      change(() => subscriptions.refund(subscriptionId, { paymentId, operatorTelegramId }, { updateId: requestId })),

    /*
     * Checked first: a move with nowhere to go is refused here, never handed to the workflow (which
     * would retry placing the client for hours, tell the user a false "key delayed" and block
     * /extend and /cancel meanwhile). The workflow still takes the slot, so a race loses there.
     */
    async move({ subscriptionId, toServerId, requestId, operatorTelegramId }) {
      const blocker = await moveBlocker(deps.db, { subscriptionId, toServerId });
      if (blocker !== null) return { ok: false, reason: 'rejected', message: MOVE_BLOCKER_MESSAGES[blocker], code: blocker };
      return change(() =>
        subscriptions.move(
          subscriptionId,
          { operatorTelegramId, ...(toServerId === undefined ? {} : { toServerId }) },
          { updateId: requestId },
        ),
      );
    },

    ...(deps.taskQueue === undefined
      ? {}
      : { checkInvariants: ({ requestId }: { requestId: string }) => checkInvariants(deps.taskQueue ?? '', requestId) }),

    cancel: ({ subscriptionId, requestId, operatorTelegramId }) =>
      change(async () => {
        const state = await subscriptions.cancel(subscriptionId, { operatorTelegramId }, { updateId: requestId });
        return { phase: state.phase };
      }),
  };
}
