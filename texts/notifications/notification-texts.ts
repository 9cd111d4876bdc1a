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
