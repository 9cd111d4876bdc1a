import { InlineKeyboard, type Bot } from 'grammy';
import type { BotContext } from './bot-context';
import { encodeCallback, parseCallback } from './callback-data';
import type { BotDeps } from './create-bot';
import { showScreen } from './show-plans';

/** The auto-renewal screen's buttons; the current setting is ticked. */
export function autoRenewKeyboard(ctx: BotContext, enabled: boolean): InlineKeyboard {
  return new InlineKeyboard()
    .text(`${enabled ? '✓ ' : ''}${ctx.texts.autoRenewOnButton}`, encodeCallback({ type: 'autorenew', enabled: true }))
    .text(`${enabled ? '' : '✓ '}${ctx.texts.autoRenewOffButton}`, encodeCallback({ type: 'autorenew', enabled: false }));
}

/**
 * The user's own account settings: /trial (and the `trial` button on /start) and /autorenew
 * with its `autorenew:on|off` buttons. Other callback data passes on to the purchase handlers.
 */
export function registerAccountHandlers(bot: Bot<BotContext>, deps: BotDeps): void {
  const { services } = deps;
  const privateChat = bot.chatType('private');

  const startTrial = async (ctx: BotContext, userId: number) => {
    const result = await services.startTrial({ userId });
    await ctx.reply(result.kind === 'started' ? ctx.texts.trialStarted(result.days) : ctx.texts.trialRefused[result.reason]);
  };

  privateChat.command('trial', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) await ctx.reply(ctx.texts.needStart);
    else await startTrial(ctx, user.userId);
  });

  privateChat.command('autorenew', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const enabled = await services.getAutoRenew(user.userId);
    await ctx.reply(ctx.texts.autoRenewStatus(enabled), { reply_markup: autoRenewKeyboard(ctx, enabled) });
  });

  bot.on('callback_query:data', async (ctx, next) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'trial' && action?.type !== 'autorenew') {
      await next();
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    if (action.type === 'trial') {
      await startTrial(ctx, user.userId);
      return;
    }
    if ((await services.getAutoRenew(user.userId)) !== action.enabled) {
      await services.setAutoRenew({ userId: user.userId, enabled: action.enabled });
    }
    await showScreen(ctx, 'edit', ctx.texts.autoRenewStatus(action.enabled), autoRenewKeyboard(ctx, action.enabled));
  });
}
