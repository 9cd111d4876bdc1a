import type { LifecycleSettings, SettingsActivities } from './contracts/settings-activities';

export type { LifecycleSettings, SettingsActivities } from './contracts/settings-activities';

/** Dependencies of the settings activities. */
export interface SettingsActivityDeps {
  /** Lifecycle timings from the worker's config. */
  lifecycle: LifecycleSettings;
}

/** Builds the settings activities. */
export function createSettingsActivities(deps: SettingsActivityDeps): SettingsActivities {
  return {
    async getLifecycleSettings() {
      return { ...deps.lifecycle, reminderOffsetsHours: [...deps.lifecycle.reminderOffsetsHours] };
    },
  };
}
