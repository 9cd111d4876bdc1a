import { Composer } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';

/** What /subscriptions uses. */
export type SubscriptionsServices = Pick<BotServices, 'findUser' | 'mySubscriptions'>;

/** /subscriptions in private chats: the user's subscriptions, newest first, with their links. */
export function subscriptionsFeature(services: SubscriptionsServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').command('subscriptions', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const subscriptions = await services.mySubscriptions(user.userId);
    await ctx.reply(
      subscriptions.length === 0
        ? ctx.texts.noSubscriptions
        : [ctx.texts.subscriptionsHeader, ...subscriptions.map((sub) => ctx.texts.subscriptionLine(sub))].join('\n'),
      { link_preview_options: { is_disabled: true } },
    );
  });
  return feature;
}
