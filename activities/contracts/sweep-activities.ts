/**
 * The contract of the orphan sweeps (implemented in activities/sweep-activities.ts and
 * activities/sweep-runner.ts), run by the `orphan-sweep` Schedule's workflow.
 */

/** The sweeps that record their repairs in `orphan_repairs` (sql/schemas/orphan-repair-row.ts). */
export type OrphanSweep = 'payment_unapplied' | 'subscription_without_client' | 'cancelled_payment_late_success';

/** Input of one sweep. */
export interface SweepInput {
  /** The run's identity (the sweep workflow's id and run id): a retried activity reports the same repairs. */
  sweepId: string;
  /** An orphan must be in its state this long before it is touched, in seconds. */
  olderThanSeconds: number;
  /** Most orphans acted on per run. */
  limit: number;
  /** Late successes: how far back cancelled payments are asked about, in hours (default 72). */
  withinHours?: number;
}

/** One orphan a sweep acted on. */
export interface SweepRepair {
  /** Payment id, or subscription id for the clientless sweep. */
  entityId: number;
  /** The how-many-th attempt on this orphan. */
  attempt: number;
  /** 'handed-off', 'ensure-client-signalled', 'completed-and-handed-off', 'still-cancelled', 'failed:CODE', ... */
  outcome: string;
}

/** What one sweep did. */
export interface SweepReport {
  sweep: OrphanSweep;
  /** Orphan rows forgotten because their orphan is gone. */
  resolved: number;
  repairs: SweepRepair[];
}

/** The sweep activities. Each: @idempotency sweepId (orphan_repairs.last_sweep_id); its repair is idempotent per orphan. */
export interface SweepActivities {
  /** Hands every completed-but-unapplied payment to its subscription workflow again. */
  sweepUnappliedPayments(input: SweepInput): Promise<SweepReport>;
  /** Asks the workflow of every active subscription without a recorded client to ensure one. */
  sweepClientlessSubscriptions(input: SweepInput): Promise<SweepReport>;
  /** Asks the provider again about cancelled payments that reached it; a late success is completed and handed off. */
  sweepLateProviderSuccesses(input: SweepInput): Promise<SweepReport>;
}
