/**
 * What operator (admin) commands ask of the system. The bot's handlers depend on this interface
 * only; `createOperatorActions` (operator-actions.ts) implements it with the Temporal client and
 * Postgres, tests with fakes. Nothing here carries a VPN key, a subscription token or a secret.
 */
import type { InvariantReport } from '../activities/contracts/invariant-activities';

/** A subscription as an operator sees it: the database row and the workflow's view. */
export interface OperatorSubscriptionView {
  id: number;
  /** Internal users.id of the owner. */
  userId: number;
  /** subscriptions.status */
  status: 'pending' | 'active' | 'expired' | 'cancelled';
  /** The workflow's phase (getState); 'unknown' when it did not answer; null when there is no workflow. */
  phase: string | null;
  /** End of the period from the database. */
  endsAt: Date | null;
  server: { id: number; name: string } | null;
  plan: { id: number; name: string } | null;
}

/** One subscription in {@link OperatorUserView}. */
export interface OperatorUserSubscription {
  id: number;
  status: OperatorSubscriptionView['status'];
  planName: string | null;
  endsAt: Date | null;
}

/** A user as an operator sees them. */
export interface OperatorUserView {
  userId: number;
  telegramId: number;
  username: string | null;
  /** Balance in kopecks. */
  balanceKopecks: number;
  autoRenew: boolean;
  trialUsed: boolean;
  /** Newest first. */
  subscriptions: OperatorUserSubscription[];
}

/** Outcome of a change made through the subscription workflow. */
export type OperatorResult<T> =
  | { ok: true; value: T }
  /** No workflow runs for this subscription (never started, or already ended). */
  | { ok: false; reason: 'no-workflow' }
  /** The workflow did not answer in time; the change may still apply. */
  | { ok: false; reason: 'timeout' }
  /**
   * Refused: by a check before the workflow was asked (a move with nowhere to go), or by the
   * workflow's validator (or handler). `message` is English for logs; `code`, when the refusal is
   * a known one, lets the bot say it in the operator's language.
   */
  | { ok: false; reason: 'rejected'; message: string; code?: OperatorRefusal };

/** Refusals the bot words itself (bot/locales/admin-*.ts). */
export type OperatorRefusal =
  | 'bad-days'
  | 'payment-not-applied'
  | 'payment-not-rub'
  | 'payment-not-completed'
  | 'subscription-ended'
  | 'not-active'
  | 'same-server'
  | 'no-subscription'
  | 'no-such-server'
  | 'server-unavailable'
  | 'no-other-server';

/** Who asks and which request this is. `requestId` makes a retried Telegram update apply once. */
export interface OperatorRequest {
  subscriptionId: number;
  operatorTelegramId: number;
  /** e.g. `tg-<update_id>`; 1..100 characters. */
  requestId: string;
}

/** Operator actions; each change goes through `subscription-{id}` (its activities audit the operator). */
export interface OperatorActions {
  /** The subscription, or null when no row has this id. */
  describeSubscription(subscriptionId: number): Promise<OperatorSubscriptionView | null>;
  /** The user with this Telegram id, or null. */
  describeUser(telegramId: number): Promise<OperatorUserView | null>;
  /** Extends the period by `days`; returns the new end (ISO). */
  extend(request: OperatorRequest & { days: number }): Promise<OperatorResult<{ endsAt: string | null }>>;
  /** Refunds one of the subscription's payments to the user's balance (and ends the subscription). */
  refund(request: OperatorRequest & { paymentId: number }): Promise<OperatorResult<{ amountKopecks: string }>>;
  /** Moves the client to `toServerId`, or to any other server. */
  move(request: OperatorRequest & { toServerId?: number }): Promise<OperatorResult<{ serverId: number | null }>>;
  /** Cancels at once; returns the final phase. */
  cancel(request: OperatorRequest): Promise<OperatorResult<{ phase: string }>>;
  /**
   * Runs the invariant checker now (the invariants-check workflow, no alerts) and returns its
   * report. Absent where no worker task queue is known (the command then says it is unavailable).
   */
  checkInvariants?(request: Omit<OperatorRequest, 'subscriptionId'>): Promise<OperatorResult<InvariantReport>>;
}
