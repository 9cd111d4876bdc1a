import { Composer } from 'grammy';
import { senderUser, type BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';

/** What /promo uses. */
export type PromoServices = Pick<BotServices, 'findUser' | 'applyPromo'>;

/** /promo CODE in private chats: checks the code and stores it (in the database) as the user's pending promo. */
export function promoFeature(services: PromoServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').command('promo', async (ctx) => {
    const user = await senderUser(ctx, services);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const code = ctx.match.trim();
    if (code === '') {
      await ctx.reply(ctx.texts.promoUsage);
      return;
    }
    const promo = await services.applyPromo({ userId: user.userId, code: code.slice(0, 64) });
    await ctx.reply(promo === null ? ctx.texts.promoRejected : ctx.texts.promoApplied(promo));
  });
  return feature;
}
