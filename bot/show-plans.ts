import { GrammyError, InlineKeyboard } from 'grammy';
import type { BotContext } from './bot-context';
import type { BotServices } from './bot-services';
import { encodeCallback } from './callback-data';

/**
 * Shows a screen: `edit` replaces the pressed message (falling back to a new message when it
 * cannot be edited), `reply` sends a new one. "Message is not modified" (a double press) is
 * not an error.
 */
export async function showScreen(ctx: BotContext, mode: 'reply' | 'edit', text: string, keyboard?: InlineKeyboard): Promise<void> {
  const other = keyboard === undefined ? {} : { reply_markup: keyboard };
  if (mode === 'edit' && ctx.callbackQuery?.message !== undefined) {
    try {
      await ctx.editMessageText(text, other);
      return;
    } catch (error) {
      if (!(error instanceof GrammyError && error.error_code === 400)) throw error;
      if (error.description.includes('message is not modified')) return;
    }
  }
  await ctx.reply(text, other);
}

/** The plan list with one `plan:<id>` button per plan, or a "nothing on sale" note. */
export async function showPlans(ctx: BotContext, services: BotServices, mode: 'reply' | 'edit'): Promise<void> {
  const plans = await services.listPlans();
  if (plans.length === 0) {
    await showScreen(ctx, mode, ctx.texts.noPlans);
    return;
  }
  const keyboard = InlineKeyboard.from(
    plans.map((plan) => [InlineKeyboard.text(ctx.texts.planButton(plan), encodeCallback({ type: 'plan', planId: plan.id }))]),
  );
  await showScreen(ctx, mode, [ctx.texts.plansHeader, ...plans.map((plan) => ctx.texts.planLine(plan))].join('\n'), keyboard);
}
