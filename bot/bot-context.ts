import type { Context } from 'grammy';
import type { BotServices, BotUser } from './bot-services';
import type { BotTexts, Locale } from './locales';

/** grammY context of this bot: the user's locale and its texts, set before any handler runs. */
export type BotContext = Context & {
  locale: Locale;
  texts: BotTexts;
  /**
   * The sender as the update's claim found them, in the same round trip: null when a private
   * sender never pressed /start. Undefined when the claim did not look them up (not a private
   * chat) or failed: then {@link senderUser} asks the database.
   */
  user: BotUser | null | undefined;
};

/**
 * The update's sender as a user of the bot, or null when they never pressed /start: the claim's
 * answer ({@link BotContext.user}), so no second query, or `findUser` when the claim did not look
 * them up.
 */
export async function senderUser(ctx: BotContext, services: Pick<BotServices, 'findUser'>): Promise<BotUser | null> {
  if (ctx.user !== undefined) return ctx.user;
  return ctx.from === undefined ? null : services.findUser(ctx.from.id);
}
