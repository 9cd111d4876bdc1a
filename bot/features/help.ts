import { Composer } from 'grammy';
import type { BotContext } from '../bot-context';

/** Options of {@link helpFeature}. */
export interface HelpOptions {
  /** Shown by /paysupport, e.g. `@vpn_support`; without it users are asked to write in the chat. */
  supportContact?: string | undefined;
}

/** /help, and the Telegram Stars policy commands /paysupport and /terms, in private chats. */
export function helpFeature(options: HelpOptions = {}): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType('private');
  privateChat.command('help', (ctx) => ctx.reply(ctx.texts.help));
  privateChat.command('paysupport', (ctx) => ctx.reply(ctx.texts.paySupport(options.supportContact)));
  privateChat.command('terms', (ctx) => ctx.reply(ctx.texts.terms));
  return feature;
}
