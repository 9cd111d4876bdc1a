import type { Api } from 'grammy';
import { RUSSIAN_SPEAKING, type BotTexts, type LocaleTexts } from './locales';

/** Commands shown in Telegram's menu, in this order. */
export const MENU_COMMANDS = ['start', 'plans', 'subscriptions', 'help', 'paysupport', 'terms'] as const;

function menu(texts: BotTexts) {
  return MENU_COMMANDS.map((command) => ({ command, description: texts.commands[command] }));
}

/**
 * Publishes the command menu with `setMyCommands`: English as the default list, Russian for
 * every language code answered in Russian. Safe to call on every start.
 *
 * @throws GrammyError when Telegram rejects the list
 */
export async function publishCommands(api: Api, texts: LocaleTexts): Promise<void> {
  await api.setMyCommands(menu(texts.en));
  for (const languageCode of RUSSIAN_SPEAKING) {
    await api.setMyCommands(menu(texts.ru), { language_code: languageCode });
  }
}
