/**
 * The contract of the invariant checker (implemented in activities/invariants.ts and
 * activities/invariant-activities.ts): its report is data, shown to operators and alerted on.
 */

/** What kind of invariant a violation breaks. */
export type InvariantKind =
  | 'payment_unapplied'
  | 'payment_applied_twice'
  | 'payment_period_missing'
  | 'payment_period_wrong'
  | 'subscription_overdue'
  | 'slot_not_held'
  | 'slot_leaked'
  | 'slot_count_mismatch'
  | 'client_missing'
  | 'client_duplicate'
  | 'client_expiry_mismatch'
  | 'client_live_unpaid'
  | 'panel_unreachable'
  | 'key_not_delivered'
  | 'balance_mismatch'
  | 'balance_negative';

/** One broken invariant: ids and short facts, never keys, tokens or secrets. */
export interface InvariantViolation {
  kind: InvariantKind;
  /** One plain sentence for an operator. */
  summary: string;
  subscriptionId?: number;
  userId?: number;
  paymentId?: number;
  serverId?: number;
}

/** What one check found. */
export interface InvariantReport {
  /** ISO time the check started (the checker's clock). */
  checkedAt: string;
  /** True when no violation was found. */
  ok: boolean;
  /** How much was looked at. */
  checked: { payments: number; activeSubscriptions: number; users: number; panels: number };
  /** At most VIOLATION_LIMIT (activities/invariants.ts), grouped by kind in declaration order. */
  violations: InvariantViolation[];
  /** Violations left out of the list to keep the report small. */
  omitted: number;
}

/** The invariant checker as an activity (run by the `invariants-check` Schedule and /invariants). */
export interface InvariantActivities {
  /**
   * Checks every invariant once (activities/invariants.ts); violations are in the report, never
   * thrown. @idempotency read-only
   * @param input.settleSeconds rows changed this recently are not judged yet; default 600
   */
  checkInvariants(input: { settleSeconds?: number }): Promise<InvariantReport>;
}
