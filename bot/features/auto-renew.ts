import { Composer, InlineKeyboard } from 'grammy';
import { senderUser, type BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger, encodeCallback, parseCallback } from '../callback-data';
import { showScreen } from '../show-screen';

/** What the auto-renewal setting uses. */
export type AutoRenewServices = Pick<BotServices, 'findUser' | 'getAutoRenew' | 'setAutoRenew'>;

/** The auto-renewal screen's buttons; the current setting is ticked. */
export function autoRenewKeyboard(ctx: BotContext, enabled: boolean): InlineKeyboard {
  return new InlineKeyboard()
    .text(`${enabled ? '✓ ' : ''}${ctx.texts.autoRenewOnButton}`, encodeCallback({ type: 'autorenew', enabled: true }))
    .text(`${enabled ? '' : '✓ '}${ctx.texts.autoRenewOffButton}`, encodeCallback({ type: 'autorenew', enabled: false }));
}

/** Renewal from balance: /autorenew shows the setting, its `autorenew:on|off` buttons switch it. */
export function autoRenewFeature(services: AutoRenewServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();

  feature.chatType('private').command('autorenew', async (ctx) => {
    const user = await senderUser(ctx, services);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const enabled = await services.getAutoRenew(user.userId);
    await ctx.reply(ctx.texts.autoRenewStatus(enabled), { reply_markup: autoRenewKeyboard(ctx, enabled) });
  });

  feature.callbackQuery(callbackTrigger('autorenew'), async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'autorenew') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const user = await senderUser(ctx, services);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    if ((await services.getAutoRenew(user.userId)) !== action.enabled) {
      await services.setAutoRenew({ userId: user.userId, enabled: action.enabled });
    }
    await showScreen(ctx, 'edit', ctx.texts.autoRenewStatus(action.enabled), autoRenewKeyboard(ctx, action.enabled));
  });
  return feature;
}
