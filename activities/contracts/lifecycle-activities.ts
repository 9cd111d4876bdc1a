/**
 * The contract between the subscription workflow and its non-panel activities (database,
 * ledger, notifications). Times cross the boundary as ISO strings (plain JSON in history);
 * money as decimal strings of kopecks ("24900"), never floats.
 */

/** Who asked for an operator action (Telegram id of the operator, or the system). */
export type LifecycleActor =
  { type: 'operator'; telegramId: number } | { type: 'system'; component: string } | { type: 'user'; userId: number };

/** What the workflow needs to know about its subscription row. */
export interface SubscriptionSnapshot {
  subscriptionId: number;
  userId: number;
  planId: number | null;
  status: 'pending' | 'active' | 'expired' | 'cancelled';
  /** ISO end of the paid period, null while pending. */
  endsAt: string | null;
  serverId: number | null;
}

/**
 * Result of applying a period change (payment, trial, operator extension, auto-renewal): the same
 * answer on every retry of the same request (the first success is recorded in period_changes).
 */
export interface PeriodResult {
  /**
   * True when this request's change is in effect, whether this call or an earlier attempt made it;
   * false when it was refused (a cancelled subscription, a trial already used elsewhere, a payment
   * not completed). Never "did I do it just now".
   */
  applied: boolean;
  /** The subscription right after this request's change (the recorded one on a retry); the current row when refused. */
  snapshot: SubscriptionSnapshot;
  /** A payment that could not apply (the subscription is cancelled) went to the user's balance instead. */
  creditedToBalance?: { amountKopecks: string };
}

/** Kinds of messages the lifecycle sends; texts are localized (ru/en) by the activity. */
export type NotificationKind =
  | 'key_delivered'
  | 'provision_delayed'
  | 'reminder'
  | 'expired'
  | 'renewed'
  | 'reenabled'
  | 'moved'
  | 'cancelled'
  | 'refunded'
  | 'referral_bonus'
  | 'auto_renewed'
  | 'auto_renew_topup'
  | 'trial_started'
  /** A Telegram Stars charge went back to the payer (a second charge, or an order that cannot be served). */
  | 'stars_refunded'
  /** A paid order whose amount, currency or order id did not match: under review, nothing provisioned. */
  | 'payment_under_review'
  | 'payment_credited'
  /** An operator refunded a payment to the payer (card/SBP through the provider, Stars through Telegram). */
  | 'refunded_to_payer'
  /** A checkout ended unpaid: `reason` 'failed' | 'cancelled' | 'expired', `action` 'buy' | 'renew', `planName`. */
  | 'payment_failed'
  /** A balance top-up was paid and credited: `amountKopecks`, `balanceKopecks` after it. */
  | 'balance_topped_up'
  /** A gift's order was paid: `planName`, `giftCode` (the link is on the bot's My gifts screen). */
  | 'gift_paid';

/** A message to one user. `key` makes it idempotent: the same key is sent at most once. */
export interface NotifyInput {
  userId: number;
  kind: NotificationKind;
  /** Unique per logical message, e.g. `reminder:sub-42:2026-12-01T00:00:00.000Z:72h`. */
  key: string;
  subscriptionId?: number;
  /** Values the text needs: endsAt (ISO), hoursLeft, vpnKey, subscriptionUrl, amountKopecks, planName... */
  params?: Record<string, string | number | null>;
  /** Attach the subscription's stored QR code as a photo (key delivery). */
  withQr?: boolean;
}

/** The lifecycle activities (implemented in activities/lifecycle-activities.ts). */
export interface LifecycleActivities {
  /** Reads the subscription row. @idempotency read-only */
  getSubscriptionSnapshot(input: { subscriptionId: number }): Promise<SubscriptionSnapshot>;
  /**
   * Applies a completed payment's plan duration to the subscription (extends from end_date when
   * still active, from now otherwise) exactly once; on a cancelled subscription credits the
   * payment to the user's balance instead (`creditedToBalance`). The first result is recorded and
   * returned on every retry. @idempotency paymentId
   */
  applyPayment(input: { subscriptionId: number; paymentId: number }): Promise<PeriodResult>;
  /**
   * Starts the free trial once per user (users.trial_used_at); the recorded result on every retry.
   * `seconds`, when set, is the trial's length instead of `days` (benches). @idempotency userId
   */
  grantTrial(input: { subscriptionId: number; days: number; seconds?: number }): Promise<PeriodResult>;
  /** Operator extension by N days; the recorded result on every retry. @idempotency subscriptionId+requestId */
  extendPeriod(input: { subscriptionId: number; days: number; requestId: string; actor: LifecycleActor }): Promise<PeriodResult>;
  /**
   * active -> expired when the period that ends at `endsAt` (the end the workflow's timer was for)
   * is still the row's period (end_date <= endsAt), releasing the server slot; decided on the
   * workflow's clock, never the database's. `changed`: the expiry for this end is in effect (by
   * this call or an earlier one). @idempotency subscriptionId+endsAt
   */
  markExpired(input: { subscriptionId: number; endsAt: string }): Promise<{ changed: boolean; snapshot: SubscriptionSnapshot }>;
  /**
   * Makes sure an active subscription holds a server slot (claimed on the server it lived on when
   * that one has room, else on the least-loaded healthy one), before its client is made live again.
   * @idempotency subscriptionId
   */
  holdServerSlot(input: { subscriptionId: number }): Promise<{ serverId: number }>;
  /** pending|active -> cancelled, releasing the slot. `changed`: the subscription is cancelled. @idempotency subscriptionId */
  markCancelled(input: { subscriptionId: number; actor: LifecycleActor }): Promise<{ changed: boolean; snapshot: SubscriptionSnapshot }>;
  /**
   * Refunds a completed payment of this subscription to the user's balance through the ledger
   * (amount default = the payment's amount), marks the payment refunded. `refunded`: the refund is
   * in effect (the same answer on every retry).
   * @idempotency paymentId
   */
  refundToBalance(input: {
    subscriptionId: number;
    paymentId: number;
    actor: LifecycleActor;
  }): Promise<{ refunded: boolean; amountKopecks: string }>;
  /**
   * On a user's first completed payment, credits the referrer's bonus once per referred user
   * and tells the referrer. @idempotency referred user id
   */
  payReferralBonus(input: { paymentId: number }): Promise<{ credited: boolean; referrerUserId: number | null; amountKopecks: string }>;
  /**
   * Auto-renew from balance (opt-in per user): when the balance covers the plan price, debits it,
   * records a completed 'balance' payment and extends the period. @idempotency subscriptionId+endsAt
   */
  tryAutoRenew(input: {
    subscriptionId: number;
    endsAt: string;
  }): Promise<
    | { renewed: true; paymentId: number; snapshot: SubscriptionSnapshot }
    | { renewed: false; reason: 'not-opted-in' | 'insufficient-balance' | 'plan-unavailable' }
  >;
  /** Records the message in notifications (outbox) and sends it through Telegram. @idempotency key */
  notifyUser(input: NotifyInput): Promise<{ sent: boolean; duplicate: boolean }>;
}
