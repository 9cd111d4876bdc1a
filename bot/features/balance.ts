import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger, encodeCallback } from '../callback-data';
import { showScreen } from '../show-screen';

/** What the Balance & referrals screen uses. */
export type BalanceServices = Pick<BotServices, 'findUser' | 'accountSummary' | 'paymentMethods'>;

/**
 * Balance & referrals (`balance`): the balance, the personal link `t.me/<bot>?start=ref_<code>`
 * (the /start deep-link format), invited users and bonus earned; "Pay from balance" opens the plans
 * while balance payments are enabled; "Top up the balance" (bot/features/top-up.ts) while any method
 * but the balance is on offer.
 */
export function balanceFeature(services: BalanceServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(callbackTrigger('balance'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'balance') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const [summary, methods] = await Promise.all([services.accountSummary(user.userId), services.paymentMethods()]);
    const link = ctx.me.username === undefined ? undefined : `https://t.me/${ctx.me.username}?start=ref_${summary.referralCode}`;
    const keyboard = new InlineKeyboard();
    if (methods.includes('balance') && summary.balanceKopecks > 0)
      keyboard.text(ctx.texts.menu.buttons.payFromBalance, encodeCallback({ type: 'plans' })).row();
    if (methods.some((method) => method !== 'balance'))
      keyboard.text(ctx.texts.menu.buttons.topUp, encodeCallback({ type: 'topup' })).row();
    keyboard.text(ctx.texts.menu.buttons.menu, encodeCallback({ type: 'menu' }));
    await showScreen(ctx, 'edit', ctx.texts.menu.balance(summary, link), keyboard);
  });
  return feature;
}
