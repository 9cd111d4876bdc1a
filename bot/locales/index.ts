/**
 * Bot texts by locale, and how a user's locale is chosen.
 *
 * Why typed TypeScript texts and not an i18n plugin (@grammyjs/i18n with Fluent files): every text
 * is a value or a function of typed arguments (a plan, a subscription, an amount in kopecks), so
 * the compiler checks that each locale has every key with the same parameters (`ru` must satisfy
 * `BotTexts`, the shape of `en`), a missing or misspelt key is a build error instead of a key name
 * shown to a user, and Russian plurals and money formatting are ordinary functions
 * (lib/i18n/russian-plural.ts, texts/format-rub.ts) shared with the worker's messages (texts/). Two
 * locales do not need translator tooling; the locale itself comes from the user's stored choice
 * (users.language_code), which a plugin's per-session negotiation would duplicate.
 */
import { en, type BotTexts } from './en';
import { ru } from './ru';
import type { Locale } from '../../texts/locale';

export type { BotTexts } from './en';
export { en } from './en';
export { ru } from './ru';
export { formatRub, type RubFormat } from '../../texts/format-rub';
export { pickLocale, RUSSIAN_SPEAKING, type Locale } from '../../texts/locale';

/** Texts of every locale, as `createBot` takes them. */
export type LocaleTexts = Readonly<Record<Locale, BotTexts>>;

/** The shipped texts. */
export const defaultTexts: LocaleTexts = { ru, en };
