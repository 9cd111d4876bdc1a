import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import type { Kopecks } from '../lib/money';
import type { LifecycleActivities } from './contracts/lifecycle-activities';
import { createMoneyActivities } from './money-activities';
import { createNotificationDelivery, createNotifyActivities } from './notify-activities';
import { createPeriodActivities } from './period-activities';
import type { TelegramSender } from './telegram-sender';

/** Dependencies of the lifecycle activities. */
export interface LifecycleActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** Sends the user's messages (activities/telegram-sender.ts). */
  telegram: TelegramSender;
  /** Public base URL of the api, no trailing slash: subscription URLs are `<this>/sub/<token>`. */
  publicBaseUrl: string;
  /** Referral bonus per referred user, in kopecks; null = disabled (REFERRAL_BONUS_KOPECKS). */
  referralBonusKopecks: Kopecks | null;
  /**
   * Referral bonus as a percentage of what the referred user actually paid (RUB payments), decimal
   * text with up to two decimals ("10", "12.5"), rounded down to a kopeck; overrides the flat
   * bonus (REFERRAL_BONUS_PERCENT). Absent or null = the flat referralBonusKopecks.
   */
  referralBonusPercent?: string | null | undefined;
}

/**
 * Builds the subscription lifecycle's non-panel activities (the contract is
 * contracts/lifecycle-activities.ts): period and status changes (period-activities.ts), money through
 * the ledger (money-activities.ts) and user notifications through the outbox
 * (notify-activities.ts). Every activity is idempotent under the key its JSDoc names.
 */
export function createLifecycleActivities(deps: LifecycleActivityDeps): LifecycleActivities {
  const deliver = createNotificationDelivery(deps);
  return {
    ...createPeriodActivities(deps),
    ...createMoneyActivities({ ...deps, deliver }),
    ...createNotifyActivities({ deliver }),
  };
}

export type * from './contracts/lifecycle-activities';
