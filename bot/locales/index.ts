/** Bot texts by locale, and how a user's locale is chosen. */
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
