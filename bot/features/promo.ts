import { Composer } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';

/** What /promo uses. */
export type PromoServices = Pick<BotServices, 'findUser' | 'rememberPromoCode'>;

/** /promo CODE in private chats: checks the code and remembers it for the user's next purchase. */
export function promoFeature(services: PromoServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').command('promo', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const code = ctx.match.trim();
    if (code === '') {
      await ctx.reply(ctx.texts.promoUsage);
      return;
    }
    const promo = await services.rememberPromoCode({ userId: user.userId, code: code.slice(0, 64) });
    await ctx.reply(promo === null ? ctx.texts.promoRejected : ctx.texts.promoApplied(promo));
  });
  return feature;
}
