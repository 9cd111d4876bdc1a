import type { Logger } from '../lib/logger';
import type { AlertActivities } from './alert-activity-types';

/** Dependencies of the alert activities. */
export interface AlertActivityDeps {
  logger: Logger;
}

/**
 * The operator alert channel. For now: a structured `alert` log line per call (the delivery to
 * the operators' Telegram chat, deduplication and rate limit come with the alert store).
 */
export function createAlertActivities(deps: AlertActivityDeps): AlertActivities {
  const log = deps.logger.child({ component: 'activity:alert' });
  return {
    async alertOperators(input) {
      log.warn({ alert: input.kind, key: input.key, subscriptionId: input.subscriptionId, paymentId: input.paymentId, serverId: input.serverId }, input.summary);
      return { sent: false, duplicate: false, suppressed: false };
    },
  };
}
