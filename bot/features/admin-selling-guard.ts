/**
 * Maintenance mode on the user side: before the bot takes money (a payment method pressed, a
 * Telegram Stars pre-checkout) it asks isSelling() (usecases/maintenance.ts); while an operator
 * has turned maintenance on, every panel is down or no server is open, the user is told sales
 * are paused instead of getting an invoice or a payment page. Registered before the purchase
 * features: it answers the update itself when not selling, else passes it on untouched.
 */
import { Composer } from 'grammy';
import type { BotContext } from '../bot-context';
import type { MaintenanceService } from '../../usecases/maintenance';
import { at } from './admin-common';

/** The guard; without a maintenance service it passes everything on. */
export function sellingGuardFeature(deps: { maintenance?: Pick<MaintenanceService, 'isSelling'> | undefined }): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const maintenance = deps.maintenance;
  if (maintenance === undefined) return feature;

  const pausedText = async (ctx: BotContext): Promise<string | null> => {
    const state = await maintenance.isSelling();
    if (state.selling) return null;
    return state.reason === 'maintenance' && state.note !== undefined && state.note !== ''
      ? at(ctx).sellingPausedWithNote(state.note)
      : at(ctx).sellingPaused;
  };

  // Every button that takes money: a plan, a gift, a renewal, a balance top-up.
  feature.callbackQuery(/^(pay|gpay|rpay|tpay):/, async (ctx, next) => {
    const text = await pausedText(ctx);
    if (text === null) return next();
    await ctx.answerCallbackQuery();
    await ctx.reply(text);
  });

  feature.on('pre_checkout_query', async (ctx, next) => {
    const text = await pausedText(ctx);
    if (text === null) return next();
    await ctx.answerPreCheckoutQuery(false, { error_message: text });
  });
  return feature;
}
