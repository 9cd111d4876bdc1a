/**
 * Localized texts of the messages the lifecycle sends (one function per NotificationKind and
 * locale). The language follows the bot's rule (texts/locale.ts pickLocale): Russian for ru, uk, be
 * and kk, English for any other language; without a stored language, Russian, the bot's home
 * locale, so a user reads notifications in the language the bot speaks to them.
 */
import { pickLocale, type Locale } from '../locale';
import type { NotificationKind, NotifyInput } from '../../activities/contracts/lifecycle-activities';
import { parseNotificationParams, type NotificationTexts } from './notification-params';
import { notificationTextsEn } from './notification-texts-en';
import { notificationTextsRu } from './notification-texts-ru';

export type { NotificationTexts } from './notification-params';

const TEXTS: Readonly<Record<Locale, NotificationTexts>> = { ru: notificationTextsRu, en: notificationTextsEn };

/** The locale of a user with this `users.language_code` (null = never set). */
export function notificationLocale(languageCode: string | null): Locale {
  return pickLocale(languageCode ?? undefined);
}

/**
 * The text of one message in `locale`, from the workflow's raw params (malformed values are left
 * out of the text rather than shown).
 */
export function renderNotification(kind: NotificationKind, locale: Locale, params?: NotifyInput['params']): string {
  return TEXTS[locale][kind](parseNotificationParams(params));
}

/** Kinds whose message carries a Renew button: the reminders, the expiry, and a failed auto-renewal. */
export const KINDS_WITH_RENEW: ReadonlySet<NotificationKind> = new Set(['reminder', 'expired', 'auto_renew_topup']);

const RENEW_BUTTON: Readonly<Record<Locale, string>> = { ru: '🔄 Продлить', en: '🔄 Renew' };

/**
 * The inline buttons under a message of `kind` about `subscriptionId`: Renew for the kinds in
 * {@link KINDS_WITH_RENEW} (callback data `renew:<id>`, handled by the bot's renewal feature,
 * bot/features/renewal.ts; bot/callback-data.ts parses it), none otherwise.
 */
export function notificationButtons(
  kind: NotificationKind,
  locale: Locale,
  subscriptionId: number,
): Array<Array<{ text: string; callbackData: string }>> {
  return KINDS_WITH_RENEW.has(kind) ? [[{ text: RENEW_BUTTON[locale], callbackData: `renew:${subscriptionId}` }]] : [];
}
