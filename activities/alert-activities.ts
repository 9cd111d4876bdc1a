/**
 * The operator alert channel: the one place in the code that sends alerts to the operators.
 * Everything else calls `alertOperators` (workflows through proxyActivities, activities by taking
 * the function as a dependency).
 */
import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, InvalidInputError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import {
  countAlertsSentSince,
  listPendingAlertIds,
  listSuppressedDigest,
  lockAlertForDelivery,
  markAlertSent,
  markAlertSuppressed,
  markAlertUndeliverable,
  newestStaleSuppressedId,
  recordOperatorAlert,
} from '../sql/repositories/alerts-repository';
import type { OperatorAlertRow } from '../sql/schemas/operator-alert-row';
import { currentActivityContext, heartbeatIfActivity } from './activity-context';
import type { AlertDelivery, AlertKind, AlertResult, DeliverPendingResult } from './contracts/alert-activities';
import { alertButtons, formatAlertMessage, redactSecrets } from './alert-text';
import type { MessageButtons, TelegramSender } from './telegram-sender';
import { asActivity } from './to-activity-failure';

/** Where alerts go and how many may go out. */
export interface AlertSettings {
  /** Telegram chats that receive alerts (ALERT_CHAT_ID, else each of ADMIN_TELEGRAM_IDS); empty = log only. */
  chatIds: readonly number[];
  /** Most alerts of one kind sent per minute; the rest are suppressed and summed into the next sent one. */
  maxPerKindPerMinute: number;
  /** Configured secret values (bot token, salts, provider keys) scrubbed from every text literally. */
  knownSecrets?: readonly string[];
}

/** Default when the worker passes no settings: no chat (alerts are recorded and logged), 5 per kind per minute. */
export const DEFAULT_ALERT_SETTINGS: AlertSettings = { chatIds: [], maxPerKindPerMinute: 5 };

/** Dependencies of the alert activities. */
export interface AlertActivityDeps {
  db: DatabasePool;
  logger: Logger;
  telegram: TelegramSender;
  alerts?: AlertSettings | undefined;
}

export type { AlertDelivery, DeliverPendingResult } from './contracts/alert-activities';

/** Pending alerts younger than this may still be in their first caller's hands, in seconds. */
const PENDING_GRACE_SECONDS = 30;

/** What operator_alerts.kind accepts (its CHECK). */
const KIND_FORMAT = /^[a-z_]{1,40}$/;

/** An id worth showing: a positive 32-bit integer (the columns are INTEGER), else nothing. */
function idOrUndefined(id: number | undefined): number | undefined {
  return id !== undefined && Number.isInteger(id) && id > 0 && id <= 2_147_483_647 ? id : undefined;
}

function resultOf(alert: OperatorAlertRow): AlertResult {
  return { sent: alert.status === 'sent', duplicate: false, suppressed: alert.status === 'suppressed' };
}

/** Identity of the running activity execution (stable across its retries), or null outside one. */
function callerIdentity(): string | null {
  const info = currentActivityContext()?.info;
  if (info === undefined) return null;
  const execution = info.workflowExecution;
  return `${execution?.workflowId ?? '-'}/${execution?.runId ?? '-'}/${info.activityId}`;
}

/**
 * Builds the alert channel. `alertOperators` records the alert under its key (a repeat from another
 * caller is `duplicate` and sends nothing; a retry of the same activity execution gets the first
 * call's answer), then delivers it under one database lock: over `maxPerKindPerMinute` sent alerts of
 * its kind in the last minute it is `suppressed` (summed into the next sent alert); otherwise the
 * text (kind, redacted summary, ids, key, digest) goes to every operator chat. A Telegram outage
 * leaves it pending without failing the caller (the sweep Schedule delivers pending alerts); a chat
 * that refuses (blocked, wrong id) does not fail the others; no chat accepting marks it
 * `undeliverable`.
 */
export function createAlertActivities(deps: AlertActivityDeps): AlertDelivery {
  const settings = deps.alerts ?? DEFAULT_ALERT_SETTINGS;
  const log = deps.logger.child({ component: 'activity:alert' });

  async function sendToChats(text: string, buttons: MessageButtons = []): Promise<boolean> {
    let delivered = 0;
    let retryable: unknown;
    for (const chatId of settings.chatIds) {
      try {
        await deps.telegram.sendText(chatId, text, buttons);
        delivered += 1;
      } catch (error) {
        if (error instanceof AppError && error.retryable) retryable ??= error;
        else log.error({ chatId, code: error instanceof AppError ? error.code : 'UNKNOWN' }, 'an operator chat refused the alert');
      }
    }
    if (delivered === 0 && retryable !== undefined) throw retryable;
    return delivered > 0;
  }

  async function deliver(alertId: number): Promise<OperatorAlertRow> {
    return deps.db.transaction(async (tx) => {
      const alert = await lockAlertForDelivery(tx, alertId);
      if (alert.status !== 'pending') return alert;
      const fields = {
        alert: alert.kind,
        key: alert.alert_key,
        subscriptionId: alert.subscription_id,
        userId: alert.user_id,
        paymentId: alert.payment_id,
        serverId: alert.server_id,
      };
      if ((await countAlertsSentSince(tx, { kind: alert.kind, withinSeconds: 60 })) >= settings.maxPerKindPerMinute) {
        log.warn(fields, `alert suppressed by the rate limit: ${alert.summary}`);
        return markAlertSuppressed(tx, alert.id);
      }
      if (settings.chatIds.length === 0) {
        log.warn(fields, `alert (no operator chat configured): ${alert.summary}`);
        return markAlertUndeliverable(tx, alert.id);
      }
      const text = formatAlertMessage(alert, await listSuppressedDigest(tx, alert.id));
      if (!(await sendToChats(text, alertButtons(alert)))) {
        log.error(fields, `alert undeliverable: ${alert.summary}`);
        return markAlertUndeliverable(tx, alert.id);
      }
      log.warn(fields, `alert sent: ${alert.summary}`);
      return markAlertSent(tx, alert.id);
    });
  }

  return {
    /**
     * Records the alert and tells the operators once per key, rate-limited per kind. While Telegram
     * is unavailable it answers `{ sent: false }` at once and the alert stays pending (the orphan
     * sweep delivers it), so no caller waits on Telegram.
     * @idempotency key (operator_alerts.alert_key); a retry of the same activity execution answers as its first call
     * @throws ApplicationFailure INVALID_INPUT (non-retryable) for a kind that is not lower_snake_case
     *   or an empty key; database failures (retryable)
     */
    async alertOperators(input) {
      return asActivity(async () => {
        if (!KIND_FORMAT.test(input.kind)) throw new InvalidInputError('alert kind must be lower_snake_case');
        if (input.key.trim() === '') throw new InvalidInputError('alert key must not be empty');
        const caller = callerIdentity();
        const { created, alert } = await recordOperatorAlert(deps.db, {
          key: input.key.slice(0, 200),
          kind: input.kind,
          summary: redactSecrets(input.summary, settings.knownSecrets),
          subscriptionId: idOrUndefined(input.subscriptionId),
          userId: idOrUndefined(input.userId),
          paymentId: idOrUndefined(input.paymentId),
          serverId: idOrUndefined(input.serverId),
          caller,
        });
        if (!created && (caller === null || alert.caller !== caller)) return { sent: false, duplicate: true, suppressed: false };
        try {
          return resultOf(await deliver(alert.id));
        } catch (error) {
          if (!(error instanceof AppError && error.retryable)) throw error;
          // Recorded and pending: the orphan sweep delivers it; the caller is never held up by Telegram.
          log.warn({ alert: alert.kind, key: alert.alert_key, code: error.code }, 'alert delivery deferred (Telegram unavailable)');
          return { sent: false, duplicate: false, suppressed: false };
        }
      });
    },

    async deliverPendingAlerts(input) {
      return asActivity(async () => {
        const result: DeliverPendingResult = { sent: [], suppressed: [], digestAlertId: null };
        for (const alertId of await listPendingAlertIds(deps.db, { olderThanSeconds: PENDING_GRACE_SECONDS, limit: input.limit ?? 20 })) {
          heartbeatIfActivity({ alertId });
          const alert = await deliver(alertId);
          if (alert.status === 'sent') result.sent.push(alertId);
          if (alert.status === 'suppressed') result.suppressed.push(alertId);
        }
        const newest = await newestStaleSuppressedId(deps.db, 60);
        if (newest !== null) {
          const { alert } = await recordOperatorAlert(deps.db, {
            key: `alert_digest:up-to-${newest}`,
            kind: 'alert_digest' satisfies AlertKind,
            summary: 'Alerts were held back by the rate limit and no later alert carried their count.',
            caller: callerIdentity(),
          });
          const delivered = await deliver(alert.id);
          if (delivered.status === 'sent') result.digestAlertId = delivered.id;
        }
        return result;
      });
    },
  };
}
