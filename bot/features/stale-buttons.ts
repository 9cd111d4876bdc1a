import { Composer } from 'grammy';
import type { BotContext } from '../bot-context';

/**
 * The fallback for buttons no feature's trigger matched (malformed data, buttons of older bot
 * versions): a polite "out of date" answer, so the client stops its spinner. Used after every
 * feature; it is the only handler whose place matters, and only because it catches the rest.
 */
export function staleButtonsFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on('callback_query', (ctx) => ctx.answerCallbackQuery({ text: ctx.texts.staleButton }));
  return feature;
}
