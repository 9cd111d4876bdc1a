import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode, IdempotencyKeyReusedError, InvalidInputError, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { renderQrBase64 } from '../lib/xui/render-qr';
import type { Actor } from '../sql/repositories/audit-repository';
import {
  claimNotificationDelivery,
  enqueueNotification,
  getNotification,
  markNotificationFailed,
  markNotificationSent,
  releaseNotificationClaim,
} from '../sql/repositories/notifications-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { planName } from '../usecases/plan-names';
import { getUserById } from '../sql/repositories/users-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { LifecycleActivities, NotifyInput } from './contracts/lifecycle-activities';
import { SECRET_PARAMS, withoutSecretParams } from '../texts/notifications/notification-params';
import { notificationButtons, notificationLocale, renderNotification } from '../texts/notifications/notification-texts';
import { MAX_CAPTION_LENGTH, type MessageButtons, type SentMessage, type TelegramSender } from './telegram-sender';
import { asActivity } from './to-activity-failure';

/** Dependencies of the notification delivery. */
export interface NotifyActivityDeps {
  db: DatabasePool;
  logger: Logger;
  telegram: TelegramSender;
  /** Public base URL of the api, no trailing slash: subscription URLs are `<this>/sub/<token>`. */
  publicBaseUrl: string;
}

/** The outcome of one delivery; see {@link LifecycleActivities.notifyUser}. */
export type NotifyResult = Awaited<ReturnType<LifecycleActivities['notifyUser']>>;

/** Sends one message through the outbox; throws AppErrors (not yet ApplicationFailures). */
export type DeliverNotification = (input: NotifyInput) => Promise<NotifyResult>;

const ACTOR: Actor = { type: 'system', component: 'activity:notify' };
/** How long one delivery attempt keeps concurrent attempts with its key off: a send with its bounded retries. */
const DELIVERY_LEASE_MS = 120_000;
const KINDS_WITH_KEY: ReadonlySet<NotifyInput['kind']> = new Set(['key_delivered', 'trial_started', 'moved']);

/** The subscription's key and URL, for the kinds that show them, unless the caller passed them. */
function paramsWithKey(input: NotifyInput, subscription: SubscriptionRow | null, publicBaseUrl: string): NotifyInput['params'] {
  if (subscription === null || !KINDS_WITH_KEY.has(input.kind)) return input.params;
  return {
    ...(subscription.vpn_key === null ? {} : { vpnKey: subscription.vpn_key }),
    subscriptionUrl: `${publicBaseUrl}/sub/${subscription.sub_token}`,
    ...input.params,
  };
}

/** `text` with every credential value replaced, for the stored copy. */
function redact(text: string, params: NotifyInput['params']): string {
  let redacted = text;
  for (const [name, value] of Object.entries(params ?? {})) {
    if (SECRET_PARAMS.has(name) && typeof value === 'string' && value !== '') redacted = redacted.split(value).join('[hidden]');
  }
  return redacted;
}

/**
 * Builds the delivery shared by notifyUser and the activities that announce what they did
 * (the referral bonus): records the message in the notifications outbox under its key, sends it
 * once, and records the outcome.
 *
 * Each attempt first claims the row for a lease (claimNotificationDelivery), so concurrent
 * attempts with one key send once; a crash between Telegram's answer and the record can repeat
 * that one message after the lease (Telegram has no idempotency key).
 * The stored copy has the key and the subscription URL replaced by `[hidden]`; logs carry ids only.
 */
export function createNotificationDelivery(deps: NotifyActivityDeps): DeliverNotification {
  const { db, telegram } = deps;
  const log = deps.logger.child({ component: 'activity:notify' });

  async function send(chatId: number, text: string, qr: string | null, buttons: MessageButtons): Promise<SentMessage> {
    const withButtons = buttons.length === 0 ? [] : [buttons];
    if (qr === null) return telegram.sendText(chatId, text, ...withButtons);
    if (text.length <= MAX_CAPTION_LENGTH) return telegram.sendPhoto(chatId, qr, text, ...withButtons);
    await telegram.sendPhoto(chatId, qr);
    return telegram.sendText(chatId, text, ...withButtons);
  }

  async function qrOf(input: NotifyInput, subscription: SubscriptionRow | null, params: NotifyInput['params']): Promise<string | null> {
    if (input.withQr !== true) return null;
    if (subscription?.qr_code != null) return subscription.qr_code;
    const key = params?.['vpnKey'];
    return typeof key === 'string' && key !== '' ? renderQrBase64(key.split('\n')[0] ?? key) : null;
  }

  return async (input) => {
    if (input.key === '' || input.key.length > 200) throw new InvalidInputError('notification key must be 1..200 characters');
    // Both reads at once: the key message waits on them (bench purchase timeline).
    const [user, subscription] = await Promise.all([
      getUserById(db, input.userId),
      input.subscriptionId === undefined ? null : getSubscription(db, input.subscriptionId),
    ]);
    if (user === null) throw new RecordNotFoundError('user');
    if (input.subscriptionId !== undefined && subscription === null) throw new RecordNotFoundError('subscription');
    if (subscription !== null && subscription.user_id !== user.id) throw new InvalidInputError('the subscription belongs to another user');

    const locale = notificationLocale(user.language_code);
    const plan = subscription?.plan_id == null ? null : await getPlan(db, subscription.plan_id);
    // The plan named in the reader's language (the workflow passes none).
    const named: NotifyInput =
      plan === null || input.params?.['planName'] != null
        ? input
        : { ...input, params: { planName: planName(plan, locale), ...input.params } };
    const params = paramsWithKey(named, subscription, deps.publicBaseUrl);
    const text = renderNotification(input.kind, locale, params);
    const { notification } = await enqueueNotification(db, {
      userId: user.id,
      type: input.kind,
      message: redact(text, params),
      data: {
        subscriptionId: input.subscriptionId ?? null,
        locale,
        withQr: input.withQr === true,
        params: withoutSecretParams(input.params),
      },
      idempotencyKey: input.key,
      actor: ACTOR,
    });
    if (notification.user_id !== user.id || notification.type !== input.kind) throw new IdempotencyKeyReusedError('notification');
    if (notification.status !== 'pending') {
      log.debug({ notificationId: notification.id, status: notification.status }, 'notification already handled');
      return { sent: false, duplicate: true };
    }
    const claimed = await claimNotificationDelivery(db, { notificationId: notification.id, leaseMs: DELIVERY_LEASE_MS });
    if (claimed === null) {
      const current = await getNotification(db, notification.id);
      if (current !== null && current.status !== 'pending') return { sent: false, duplicate: true };
      throw new AppError(ErrorCode.NOTIFICATION_IN_FLIGHT, `notification ${notification.id} is being sent by another attempt`, {
        retryable: true,
      });
    }

    try {
      // Reminders and expiry messages carry a Renew button for their subscription (the bot's renew:<id>).
      const buttons = subscription === null ? [] : notificationButtons(input.kind, locale, subscription.id);
      const sent = await send(user.telegram_id, text, await qrOf(input, subscription, params), buttons);
      await markNotificationSent(db, { notificationId: notification.id, telegramMessageId: sent.messageId, actor: ACTOR });
      log.info({ notificationId: notification.id, userId: user.id, kind: input.kind }, 'notification sent');
      return { sent: true, duplicate: false };
    } catch (error) {
      if (error instanceof AppError && error.code.startsWith('TELEGRAM_')) {
        const final = error.code !== ErrorCode.TELEGRAM_UNAVAILABLE;
        await markNotificationFailed(db, { notificationId: notification.id, error: error.message, final, actor: ACTOR });
        if (!final) await releaseNotificationClaim(db, { notificationId: notification.id });
        log.warn(
          { notificationId: notification.id, userId: user.id, kind: input.kind, code: error.code, final },
          'notification not delivered',
        );
      } else {
        await releaseNotificationClaim(db, { notificationId: notification.id });
      }
      throw error;
    }
  };
}

/**
 * The notification activity.
 */
export function createNotifyActivities(deps: { deliver: DeliverNotification }): Pick<LifecycleActivities, 'notifyUser'> {
  return {
    /**
     * Records the message in the notifications outbox (key = `input.key`) and sends it to the
     * user's Telegram chat in their language (ru for ru/uk/be/kk and for users without a language,
     * en otherwise). With `withQr`, the subscription's QR code goes as a photo, the text as its
     * caption (or as a second message when longer than a caption may be). For key_delivered and
     * trial_started and moved, the key and subscription URL are read from the subscription unless given in params.
     *
     * `{ duplicate: true }` when the key was sent before or failed for good; a pending row (an
     * earlier attempt that failed transiently) is sent again. While another attempt holds the
     * delivery claim (a concurrent or timed-out attempt, for up to two minutes) this fails with the
     * retryable NOTIFICATION_IN_FLIGHT, so a retry finds it sent or takes it over.
     *
     * @idempotency key (notifications.idempotency_key)
     * @throws ApplicationFailure typed TELEGRAM_BLOCKED (non-retryable; the row is marked failed),
     *   TELEGRAM_REJECTED (non-retryable; marked failed), TELEGRAM_UNAVAILABLE (retryable; the row
     *   stays pending with the attempt counted), NOTIFICATION_IN_FLIGHT (retryable), NOT_FOUND,
     *   INVALID_INPUT, IDEMPOTENCY_KEY_REUSED
     */
    async notifyUser(input) {
      return asActivity(() => deps.deliver(input));
    },
  };
}
