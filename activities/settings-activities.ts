import type { LifecycleSettings } from '../workflows/subscription-lifecycle';

/** Dependencies of the settings activities. */
export interface SettingsActivityDeps {
  /** Lifecycle timings from the worker's config. */
  lifecycle: LifecycleSettings;
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

/** Builds the settings activities. */
export function createSettingsActivities(deps: SettingsActivityDeps): SettingsActivities {
  return {
    async getLifecycleSettings() {
      return { ...deps.lifecycle, reminderOffsetsHours: [...deps.lifecycle.reminderOffsetsHours] };
    },
  };
}
