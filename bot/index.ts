/** Public surface of the Telegram bot for its composition root and other processes. */
export { createBot, type BotDeps, MAX_RETRY_AFTER_SECONDS } from './create-bot';
export type { BotContext } from './bot-context';
export * from './bot-services';
export { publishCommands, MENU_COMMANDS } from './publish-commands';
export { defaultTexts, pickLocale, formatRub, type BotTexts, type Locale, type LocaleTexts } from './locales';
