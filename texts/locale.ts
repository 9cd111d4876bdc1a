/** The locales the product speaks, and how a user's locale is chosen (bot and worker alike). */

/** Locales the bot and the worker's messages speak. */
export type Locale = 'ru' | 'en';

/** Telegram language codes answered in Russian. */
export const RUSSIAN_SPEAKING = ['ru', 'uk', 'be', 'kk'] as const;

/**
 * Picks the locale for a Telegram `language_code` (an IETF tag such as `ru` or `pt-br`):
 * Russian for ru/uk/be/kk, English for any other language. Without a code (Telegram omits it
 * for some clients) the product's home locale, Russian, is used.
 */
export function pickLocale(languageCode: string | undefined): Locale {
  if (languageCode === undefined || languageCode === '') return 'ru';
  const primary = languageCode.toLowerCase().split(/[-_]/)[0] ?? '';
  return (RUSSIAN_SPEAKING as readonly string[]).includes(primary) ? 'ru' : 'en';
}
