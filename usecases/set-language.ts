/**
 * The user's language choice (the bot's Language screen): stored in users.language_code, which
 * every later message reads, the worker's included (texts/notifications picks the locale from it).
 */
import type { DatabasePool } from '../lib/db/create-pool';
import type { Locale } from '../texts/locale';
import { setUserLanguage } from '../sql/repositories/users-repository';

/** Locales a user may choose. */
export const CHOOSABLE_LOCALES: readonly Locale[] = ['ru', 'en'];

/** What the bot calls. */
export interface LanguageService {
  /**
   * Stores the user's chosen locale (audited as 'user.language_set').
   * @throws RangeError for a locale the product does not speak; RecordNotFoundError for an unknown user
   */
  setLanguage(userId: number, locale: Locale): Promise<void>;
}

/** Builds the language service. */
export function createLanguageService(deps: { db: DatabasePool }): LanguageService {
  return {
    async setLanguage(userId, locale) {
      if (!CHOOSABLE_LOCALES.includes(locale)) throw new RangeError(`unsupported locale ${String(locale)}`);
      await setUserLanguage(deps.db, { userId, languageCode: locale, actor: { type: 'user', userId } });
    },
  };
}
