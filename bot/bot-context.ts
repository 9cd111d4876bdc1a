import type { Context } from 'grammy';
import type { BotTexts, Locale } from './locales';

/** grammY context of this bot: the user's locale and its texts, set before any handler runs. */
export type BotContext = Context & {
  locale: Locale;
  texts: BotTexts;
};
