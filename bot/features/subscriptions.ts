import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices, BotSubscription } from '../bot-services';
import { callbackTrigger, encodeCallback } from '../callback-data';
import { showScreen } from '../show-screen';

/** What the subscription list uses. */
export type SubscriptionsServices = Pick<BotServices, 'findUser' | 'mySubscriptions'>;

/** One button per subscription (its own screen), then Buy, My gifts and Back. */
function subscriptionsKeyboard(ctx: BotContext, subscriptions: readonly BotSubscription[]): InlineKeyboard {
  const { buttons } = ctx.texts.menu;
  return InlineKeyboard.from([
    ...subscriptions.map((sub) => [
      InlineKeyboard.text(ctx.texts.menu.subscriptionButton(sub), encodeCallback({ type: 'sub', subscriptionId: sub.id })),
    ]),
    [
      InlineKeyboard.text(buttons.buy, encodeCallback({ type: 'plans' })),
      InlineKeyboard.text(ctx.texts.giftsButton, encodeCallback({ type: 'gifts' })),
    ],
    [InlineKeyboard.text(buttons.menu, encodeCallback({ type: 'menu' }))],
  ]);
}

/**
 * The user's subscriptions, newest first: /subscriptions lists them with their links and a button
 * each; the `subs` button (main menu) shows the same buttons in place.
 */
export function subscriptionsFeature(services: SubscriptionsServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').command('subscriptions', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const subscriptions = await services.mySubscriptions(user.userId, ctx.locale);
    await ctx.reply(
      subscriptions.length === 0
        ? ctx.texts.noSubscriptions
        : [ctx.texts.subscriptionsHeader, ...subscriptions.map((sub) => ctx.texts.subscriptionLine(sub))].join('\n'),
      { link_preview_options: { is_disabled: true }, reply_markup: subscriptionsKeyboard(ctx, subscriptions) },
    );
  });

  feature.callbackQuery(callbackTrigger('subs'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'subs') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const subscriptions = await services.mySubscriptions(user.userId, ctx.locale);
    const text = subscriptions.length === 0 ? ctx.texts.noSubscriptions : ctx.texts.menu.subscriptionsTitle;
    await showScreen(ctx, 'edit', text, subscriptionsKeyboard(ctx, subscriptions));
  });
  return feature;
}
