/**
 * The contract of the settings activity: the lifecycle timings a new subscription workflow adopts
 * (implemented in activities/settings-activities.ts; the defaults live with the workflow,
 * workflows/subscription-lifecycle.ts).
 */

/** Operator-tunable timings, read once from the worker's config and carried in the workflow's state. */
export interface LifecycleSettings {
  /** Hours before the end of a period at which a reminder goes out, e.g. [72, 24]. */
  reminderOffsetsHours: number[];
  /** Hours after the end during which a payment re-enables the same key. */
  graceHours: number;
  /** Hours before the end at which auto-renewal from balance is attempted. */
  autoRenewLeadHours: number;
  /** Seconds of a still-running provisioning after which the user is told the key is delayed. */
  provisionDelayNoticeSeconds: number;
  /** Continue-as-new after this many handled events even if the server does not suggest it. */
  maxEventsPerRun: number;
}

/** The settings activities (read-only, from config). */
export interface SettingsActivities {
  /**
   * The lifecycle timings a new subscription workflow adopts. Read through an activity so the
   * value is recorded in history (replay-safe) and carried in the state afterwards.
   *
   * @idempotency read-only
   */
  getLifecycleSettings(): Promise<LifecycleSettings>;
}
