/**
 * The contract of the operator alert channel: the one way code tells the operators that something
 * needs a human (a parked payment, a mismatch, a panel down, a repair made, an invariant broken).
 * Implemented in activities/alert-activities.ts; workflows proxy it by type only.
 *
 * Alerts carry ids and short facts, never secrets (no keys, tokens, passwords, provider payloads).
 */

/** What kind of trouble an alert reports; operators filter and mute by kind. */
export type AlertKind =
  | 'work_parked'
  | 'payment_mismatch'
  | 'payment_unapplied'
  | 'stars_charge_settled'
  | 'panel_unavailable'
  | 'failover'
  | 'orphan_repaired'
  /** The panel reconciler held destructive repairs back (per-run cap). */
  | 'reconcile_held_back'
  /** A closed server was opened again (by an operator or automatically after staying healthy). */
  | 'server_reopened'
  | 'invariant_violation'
  | 'webhook_poison'
  /** The database-backup Schedule made a dump (file, size, duration). */
  | 'backup_completed'
  /** The database-backup Schedule could not make a dump. */
  | 'backup_failed'
  /** Alerts held back by the rate limit that no later alert carried (sent by the orphan sweep). */
  | 'alert_digest';

/** One alert. `key` deduplicates: the same key is delivered at most once. */
export interface AlertInput {
  kind: AlertKind;
  /** Stable per logical alert, e.g. `work_parked:sub-42:payment-7:attempt-3`. */
  key: string;
  /** One or two plain sentences for a human; ids, amounts, server names; no secrets. */
  summary: string;
  subscriptionId?: number;
  userId?: number;
  paymentId?: number;
  serverId?: number;
}

/** The outcome of one alert. */
export interface AlertResult {
  /** Delivered to the operators' chat now. */
  sent: boolean;
  /** This key was already delivered (or recorded) before: nothing sent again. */
  duplicate: boolean;
  /** Recorded but not sent now because of the rate limit (rolled into a later digest). */
  suppressed: boolean;
}

/** The alert activities. */
export interface AlertActivities {
  /** Records the alert and tells the operators once per key, rate-limited. @idempotency key */
  alertOperators(input: AlertInput): Promise<AlertResult>;
}

/** What one pass of `deliverPendingAlerts` did. */
export interface DeliverPendingResult {
  /** Pending alerts (left by a crash or an outage) that were sent now. */
  sent: number[];
  /** Pending alerts now suppressed by the rate limit. */
  suppressed: number[];
  /** The digest alert sent for suppressed alerts no later alert summed up, if any. */
  digestAlertId: number | null;
}

/** The alert activities plus the maintenance step the sweep Schedule runs. */
export interface AlertDelivery extends AlertActivities {
  /**
   * Sends the alerts left pending, then a digest of suppressed ones no later alert summed up.
   * @idempotency alert ids (row status) and the digest's key (the newest suppressed id)
   */
  deliverPendingAlerts(input: { limit?: number }): Promise<DeliverPendingResult>;
}
