/** Bot texts by locale, and how a user's locale is chosen. */
import { en, type BotTexts } from './en';
import { ru } from './ru';

export type { BotTexts } from './en';
export { en } from './en';
export { ru } from './ru';
export { formatRub, type RubFormat } from './format-rub';

/** Locales the bot speaks. */
export type Locale = 'ru' | 'en';

/** Texts of every locale, as `createBot` takes them. */
export type LocaleTexts = Readonly<Record<Locale, BotTexts>>;

/** The shipped texts. */
export const defaultTexts: LocaleTexts = { ru, en };

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
