/**
 * The contract between `stars-charge-{id}` / the `stars-reconcile` Schedule's workflow and their
 * activities: plain JSON (no bigint, no Date), imported by workflows as types only.
 */

/** Where one Stars charge stands; every activity of its settlement returns it. */
export interface StarsChargeState {
  /** `stars_charges.id`. */
  chargeId: number;
  status: 'received' | 'applied' | 'refunding' | 'refunded' | 'unresolved';
  /** Why it was refunded or left unresolved. */
  reason: string | null;
  /** The order it completed or concerned. */
  paymentId: number | null;
  /** Internal users.id of the payer, when they are a user of ours. */
  userId: number | null;
  subscriptionId: number | null;
  /** Whole Stars. */
  stars: number;
  recordedBy: 'bot' | 'reconciler';
  handedOff: boolean;
  userNotified: boolean;
  settled: boolean;
}

/** What one `stars-reconcile` pass did. */
export interface StarsReconcileResult {
  /** getStarTransactions pages read. */
  pages: number;
  /** Incoming charges seen in those pages. */
  incoming: number;
  /** Charges Telegram took that we had not stored (the update was lost or its store failed), now stored. */
  recorded: number[];
  /** Settlement workflows started (or found running) for unsettled charges. */
  started: number[];
  /** Charges whose workflow could not be started (the next pass tries again). */
  failed: number[];
}

/** The settlement steps of one Stars charge (implemented in activities/stars-charge-activities.ts). */
export interface StarsChargeActivities {
  /** Takes the charge's one decision: apply it to its order or refund it. @idempotency chargeId (the decision is recorded once) */
  decideStarsCharge(input: { chargeId: number }): Promise<StarsChargeState>;
  /** Hands an applied charge's payment to its subscription workflow. @idempotency chargeId */
  handOffStarsPayment(input: { chargeId: number }): Promise<StarsChargeState>;
  /** Refunds the charge through the Bot API. @idempotency chargeId */
  refundStarsCharge(input: { chargeId: number }): Promise<StarsChargeState>;
  /** Tells the payer the Stars went back. @idempotency chargeId (notification key) */
  notifyStarsRefund(input: { chargeId: number }): Promise<StarsChargeState>;
  /** Marks the charge settled. @idempotency chargeId */
  finishStarsCharge(input: { chargeId: number }): Promise<StarsChargeState>;
}

/** The Stars reconciler (implemented in activities/stars-reconcile-activities.ts). */
export interface StarsReconcileActivities {
  /**
   * Stores incoming charges Telegram took that we had not stored, then starts `stars-charge-{id}`
   * for every stored charge not settled after `settleAfterSeconds`.
   * @idempotency none needed: storing is by charge id, starting is USE_EXISTING
   */
  reconcileStarTransactions(input: { settleAfterSeconds: number; maxPages?: number }): Promise<StarsReconcileResult>;
}
