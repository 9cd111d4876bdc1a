import { Composer } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger } from '../callback-data';

/** What the trial uses. */
export type TrialServices = Pick<BotServices, 'findUser' | 'startTrial'>;

/** The free trial: /trial and the `trial` button on /start. Unregistered users are asked to /start. */
export function trialFeature(services: TrialServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const startTrial = async (ctx: BotContext, userId: number) => {
    const result = await services.startTrial({ userId });
    await ctx.reply(result.kind === 'started' ? ctx.texts.trialStarted(result.days) : ctx.texts.trialRefused[result.reason]);
  };

  feature.chatType('private').command('trial', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) await ctx.reply(ctx.texts.needStart);
    else await startTrial(ctx, user.userId);
  });

  feature.callbackQuery(callbackTrigger('trial'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'trial') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await startTrial(ctx, user.userId);
  });
  return feature;
}
