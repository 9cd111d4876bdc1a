import { GrammyError, type InlineKeyboard } from 'grammy';
import type { BotContext } from './bot-context';

/** How a screen's text is sent. */
export interface ScreenOptions {
  /** The text is Telegram HTML (dynamic parts escaped), e.g. a key in `<code>`; links get no preview. */
  html?: boolean;
}

/**
 * Shows a screen: `edit` replaces the pressed message (falling back to a new message when it
 * cannot be edited), `reply` sends a new one. "Message is not modified" (a double press) is
 * not an error.
 */
export async function showScreen(
  ctx: BotContext,
  mode: 'reply' | 'edit',
  text: string,
  keyboard?: InlineKeyboard,
  options: ScreenOptions = {},
): Promise<void> {
  const other = {
    ...(keyboard === undefined ? {} : { reply_markup: keyboard }),
    ...(options.html === true ? { parse_mode: 'HTML' as const, link_preview_options: { is_disabled: true } } : {}),
  };
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
