/**
 * Key messages that never reached the user (they had blocked the bot, Telegram answered 403) are
 * delivered the next time the user writes: the bot calls {@link PendingKeyDelivery.deliverPendingKeyMessages}
 * on any update from that user. The message is rendered again from the subscription as it is now
 * (the key may have moved since), in the user's current language, with its QR code.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { renderQrBase64 } from '../lib/xui/render-qr';
import type { Actor } from '../sql/repositories/audit-repository';
import {
  listUndeliveredKeyMessages,
  markNotificationFailed,
  markNotificationSent,
  reclaimFailedNotification,
} from '../sql/repositories/notifications-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { getUserById } from '../sql/repositories/users-repository';
import type { NotificationKind } from '../activities/contracts/lifecycle-activities';
import { notificationLocale, renderNotification } from '../texts/notifications/notification-texts';

/** The kinds of message that carry a key (and are worth delivering late). */
const KEY_KINDS: readonly NotificationKind[] = ['key_delivered', 'trial_started', 'moved'];
/** Longest caption Telegram accepts on a photo. */
const MAX_CAPTION_LENGTH = 1024;
/** How long one late delivery keeps other attempts off the row. */
const LEASE_MS = 60_000;
const ACTOR: Actor = { type: 'system', component: 'bot:pending-keys' };

/** How the bot sends (its grammY Api behind two functions). Errors are thrown as they come. */
export interface KeyMessageSender {
  sendText(chatId: number, text: string): Promise<{ messageId: number }>;
  /** A PNG given as base64, with an optional plain caption (at most 1024 characters). */
  sendPhoto(chatId: number, pngBase64: string, caption?: string): Promise<{ messageId: number }>;
}

/** Dependencies of {@link createPendingKeyDelivery}. */
export interface PendingKeyDeliveryDeps {
  db: DatabasePool;
  sender: KeyMessageSender;
  /** Public base URL of the api, no trailing slash: subscription URLs are `<this>/sub/<token>`. */
  publicBaseUrl: string;
  logger?: Logger | undefined;
}

/** What the bot calls. */
export interface PendingKeyDelivery {
  /**
   * Sends the user every key message that failed earlier (the newest per still-active
   * subscription), each at most once however many updates arrive at once.
   * @returns how many were delivered now
   * @throws database errors; a send that fails leaves the message failed for the next update
   */
  deliverPendingKeyMessages(userId: number): Promise<{ delivered: number }>;
}

/** Builds the late key delivery. */
export function createPendingKeyDelivery(deps: PendingKeyDeliveryDeps): PendingKeyDelivery {
  const log = deps.logger?.child({ component: 'pending-keys' });

  async function send(chatId: number, text: string, qr: string | null): Promise<{ messageId: number }> {
    if (qr === null) return deps.sender.sendText(chatId, text);
    if (text.length <= MAX_CAPTION_LENGTH) return deps.sender.sendPhoto(chatId, qr, text);
    await deps.sender.sendPhoto(chatId, qr);
    return deps.sender.sendText(chatId, text);
  }

  return {
    async deliverPendingKeyMessages(userId) {
      const rows = await listUndeliveredKeyMessages(deps.db, { userId, kinds: KEY_KINDS });
      if (rows.length === 0) return { delivered: 0 };
      const user = await getUserById(deps.db, userId);
      if (user === null) return { delivered: 0 };
      let delivered = 0;
      for (const row of rows) {
        const subscriptionId = Number((row.data as { subscriptionId?: unknown } | null)?.subscriptionId);
        const subscription = Number.isSafeInteger(subscriptionId) ? await getSubscription(deps.db, subscriptionId) : null;
        if (subscription === null || subscription.vpn_key === null || subscription.status !== 'active') continue;
        const claimed = await reclaimFailedNotification(deps.db, { notificationId: row.id, leaseMs: LEASE_MS });
        if (claimed === null) continue;
        const params = {
          vpnKey: subscription.vpn_key,
          subscriptionUrl: `${deps.publicBaseUrl}/sub/${subscription.sub_token}`,
          endsAt: subscription.end_date?.toISOString() ?? null,
        };
        const text = renderNotification(row.type as NotificationKind, notificationLocale(user.language_code), params);
        const qr = subscription.qr_code ?? renderQrBase64(subscription.vpn_key.split('\n')[0] ?? subscription.vpn_key);
        try {
          const sent = await send(user.telegram_id, text, await qr);
          await markNotificationSent(deps.db, { notificationId: row.id, telegramMessageId: sent.messageId, actor: ACTOR });
          delivered += 1;
        } catch (error) {
          await markNotificationFailed(deps.db, {
            notificationId: row.id,
            error: `late delivery: ${error instanceof Error ? error.name : 'unknown'}`,
            final: true,
            actor: ACTOR,
          });
          log?.warn({ notificationId: row.id, userId }, 'late key message not delivered');
        }
      }
      return { delivered };
    },
  };
}
