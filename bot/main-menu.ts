import { InlineKeyboard } from 'grammy';
import type { BotContext } from './bot-context';
import { encodeCallback } from './callback-data';

/** The main menu's buttons: Buy, My subscriptions, Balance & referrals, Help & support, Language. */
export function mainMenuKeyboard(ctx: BotContext): InlineKeyboard {
  const { buttons } = ctx.texts.menu;
  return new InlineKeyboard()
    .text(buttons.buy, encodeCallback({ type: 'plans' }))
    .row()
    .text(buttons.subscriptions, encodeCallback({ type: 'subs' }))
    .row()
    .text(buttons.balance, encodeCallback({ type: 'balance' }))
    .row()
    .text(buttons.help, encodeCallback({ type: 'help' }))
    .text(buttons.language, encodeCallback({ type: 'lang' }));
}

/** A one-button keyboard back to the main menu. */
export function backToMenu(ctx: BotContext): InlineKeyboard {
  return new InlineKeyboard().text(ctx.texts.menu.buttons.menu, encodeCallback({ type: 'menu' }));
}
