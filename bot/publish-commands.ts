import type { Api } from 'grammy';
import { RUSSIAN_SPEAKING, type BotTexts, type LocaleTexts } from './locales';

/** Commands shown in Telegram's menu, in this order. Operator commands are never listed. */
export const MENU_COMMANDS = ['start', 'plans', 'subscriptions', 'gifts', 'trial', 'autorenew', 'help', 'paysupport', 'terms'] as const;

/** Options of {@link publishCommands}. */
export interface PublishCommandsOptions {
  /** List /trial; false when trials are turned off. Default true. */
  trial?: boolean;
}

function menu(texts: BotTexts, options: PublishCommandsOptions) {
  return MENU_COMMANDS.filter((command) => command !== 'trial' || options.trial !== false).map((command) => ({
    command,
    description: texts.commands[command],
  }));
}

/**
 * Publishes the command menu with `setMyCommands`: English as the default list, Russian for
 * every language code answered in Russian. Safe to call on every start.
 *
 * @throws GrammyError when Telegram rejects the list
 */
export async function publishCommands(api: Api, texts: LocaleTexts, options: PublishCommandsOptions = {}): Promise<void> {
  await api.setMyCommands(menu(texts.en, options));
  for (const languageCode of RUSSIAN_SPEAKING) {
    await api.setMyCommands(menu(texts.ru, options), { language_code: languageCode });
  }
}
