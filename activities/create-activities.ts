import type { Client } from '@temporalio/client';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import type { PanelResolver } from '../usecases/panel-for-server';
import { createAlertActivities, type AlertSettings } from './alert-activities';
import { createAuditActivities } from './audit-activities';
import { createBackupActivities, type BackupSettings } from './backup-activities';
import { createBroadcastActivities } from './broadcast-activities';
import type { BroadcastSender } from './broadcast-sender';
import { createFleetActivities } from './fleet-activities';
import { createInvariantActivities } from './invariant-activities';
import { createFailedCheckoutActivities } from './failed-checkout-activities';
import { createPaidOrderActivities } from './paid-order-activities';
import { createPaymentMismatchActivities } from './flag-payment-mismatch';
import { createLifecycleActivities } from './lifecycle-activities';
import { createNotificationDelivery } from './notify-activities';
import { createPanelActivities } from './panel-activities';
import { createReconcileActivities } from './reconcile-activities';
import { createPaymentActivities, type PaymentActivityDeps } from './payment-activities';
import { createPaymentReconcileActivities } from './payment-reconcile-activities';
import { createSettingsActivities } from './settings-activities';
import { createSweepActivities } from './sweep-activities';
import { createStarsChargeActivities } from './stars-charge-activities';
import { createStarsReconcileActivities } from './stars-reconcile-activities';
import type { StarsBotApi } from '../lib/payments/stars/star-transactions';
import type { TelegramSender } from './telegram-sender';
import type { Activities } from './contracts';
import type { LifecycleSettings } from './contracts/settings-activities';

/** Everything activities may touch, built once by the worker's composition root. */
export interface ActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** 3X-UI panel clients per server (usecases/panel-for-server.ts). */
  panels: PanelResolver;
  /** Secret (>= 16 characters) from which panel client identities derive; never logged. */
  clientIdSalt: string;
  /** Public base URL of the api, no trailing slash: subscription URLs are `<this>/sub/<token>`. */
  publicBaseUrl: string;
  /** Payment providers, Temporal client and return URL; without them the payment activities fail non-retryably. */
  payments?: PaymentActivityDeps | undefined;
  /**
   * Temporal client on its own Connection, for activities that signal other workflows (failover's
   * moveToServer). Without it those activities fail non-retryably (CONFIG_INVALID).
   */
  temporal?: Client | undefined;
  /** Sends users' messages (activities/telegram-sender.ts; the fake Bot API in dev and tests). */
  telegram: TelegramSender;
  /** Referral bonus per referred user, in kopecks; null = disabled (REFERRAL_BONUS_KOPECKS). */
  referralBonusKopecks: bigint | null;
  /**
   * Lifecycle timings new subscription workflows adopt (the worker's config over the workflow's
   * DEFAULT_LIFECYCLE_SETTINGS, workflows/subscription-lifecycle.ts).
   */
  lifecycle: LifecycleSettings;
  /**
   * Referral bonus as a percentage of what the referred user actually paid (RUB payments), decimal
   * text with up to two decimals ("10", "12.5"), rounded down to a kopeck; overrides the flat
   * bonus (REFERRAL_BONUS_PERCENT). Absent or null = the flat referralBonusKopecks.
   */
  referralBonusPercent?: string | null | undefined;
  /** Operator alert chats, rate limit and secrets to scrub; default: no chat (alerts recorded and logged). */
  alerts?: AlertSettings | undefined;
  /**
   * Bot API calls for Telegram Stars refunds and getStarTransactions (lib/payments/stars); without
   * it Stars refunds and the Stars reconciler fail non-retryably (CONFIG_INVALID).
   */
  starsApi?: StarsBotApi | undefined;
  /** Most destructive repairs the panel reconciler makes per server and run (RECONCILE_MAX_DESTRUCTIVE_PER_RUN); default 20. */
  reconcileMaxDestructivePerRun?: number | undefined;
  /** Database backups (BACKUP_DIR, BACKUP_KEEP, PG_BIN_DIR); without them the backup activity fails non-retryably. */
  backups?: BackupSettings | undefined;
  /** Sends broadcast messages (no auto-retry: the broadcast handles 429 itself); without it broadcasts fail non-retryably. */
  broadcastSender?: BroadcastSender | undefined;
  /** Broadcast messages per second (default 25, under Telegram's ~30/s per bot). */
  broadcastRatePerSecond?: number | undefined;
}

/**
 * Builds every activity from its dependencies (no module state), so tests can build the same
 * functions against a test database and fakes. Workflows see only the contracts
 * (activities/contracts/), which the result satisfies: a missing or changed activity fails the typecheck.
 */
export function createActivities(deps: ActivityDeps) {
  const alerts = createAlertActivities(deps);
  const panel = createPanelActivities({ ...deps, alertOperators: alerts.alertOperators });
  const deliver = createNotificationDelivery(deps);
  const activities = {
    ...alerts,
    ...createSweepActivities({ ...deps, alertOperators: alerts.alertOperators }),
    ...createAuditActivities(deps),
    ...panel,
    ...createFleetActivities({ ...deps, alertOperators: alerts.alertOperators }),
    ...createReconcileActivities({
      ...deps,
      alertOperators: alerts.alertOperators,
      maxDestructivePerRun: deps.reconcileMaxDestructivePerRun,
    }),
    ...createPaymentActivities(deps),
    ...createPaymentReconcileActivities(deps),
    ...createPaymentMismatchActivities({ ...deps, deliver, alertOperators: alerts.alertOperators }),
    ...createFailedCheckoutActivities({ ...deps, deliver }),
    ...createPaidOrderActivities({ ...deps, deliver }),
    ...createLifecycleActivities(deps),
    ...createSettingsActivities({ lifecycle: deps.lifecycle }),
    ...createInvariantActivities(deps),
    ...createStarsChargeActivities({ ...deps, deliver }),
    ...createStarsReconcileActivities(deps),
    ...createBackupActivities(deps),
    ...createBroadcastActivities(deps),
  } satisfies Activities;
  return activities;
}

export type { Activities } from './contracts';
