import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger, encodeCallback } from '../callback-data';
import { showScreen } from '../show-screen';

/** What the gifts screen uses. */
export type GiftsServices = Pick<BotServices, 'findUser' | 'giftsOf'>;

/**
 * My gifts (`gifts` button, /gifts): the gifts the user bought, each with its t.me link once paid
 * (the first person to open it gets the subscription; /start gift_<code> in start.ts redeems it).
 */
export function giftsFeature(services: GiftsServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const screen = async (ctx: BotContext, userId: number) => {
    const gifts = await services.giftsOf(userId, ctx.locale);
    const text =
      gifts.length === 0 ? ctx.texts.noGifts : [ctx.texts.giftsTitle, '', ...gifts.map((gift) => ctx.texts.giftLine(gift))].join('\n');
    const keyboard = new InlineKeyboard()
      .text(ctx.texts.menu.buttons.buy, encodeCallback({ type: 'plans' }))
      .row()
      .text(ctx.texts.menu.buttons.menu, encodeCallback({ type: 'menu' }));
    return { text, keyboard };
  };

  feature.chatType('private').command('gifts', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const { text, keyboard } = await screen(ctx, user.userId);
    await ctx.reply(text, { reply_markup: keyboard, link_preview_options: { is_disabled: true } });
  });

  feature.callbackQuery(callbackTrigger('gifts'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'gifts') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const { text, keyboard } = await screen(ctx, user.userId);
    await showScreen(ctx, 'edit', text, keyboard);
  });
  return feature;
}
