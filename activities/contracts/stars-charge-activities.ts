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
