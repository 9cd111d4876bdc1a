import { Composer, GrammyError, InlineKeyboard } from 'grammy';
import type { Logger } from 'pino';
import { senderUser, type BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger, encodeCallback } from '../callback-data';
import type { ErrorSummary } from '../describe-error';
import { pickLocale, type LocaleTexts } from '../locales';
import { showScreen } from '../show-screen';

/** What Help & support uses. */
export interface SupportDeps {
  services: Pick<BotServices, 'findUser' | 'mySubscriptions'>;
  texts: LocaleTexts;
  /** The operators' chat that receives users' messages; without it the Help screen has no "write" button. */
  supportChatId?: number | undefined;
  log: Logger;
  describe: (error: unknown) => ErrorSummary;
}

/** The longest user text passed on, so the ticket fits one Telegram message (4096 characters). */
const MAX_QUESTION = 3500;
/** The Telegram id in a ticket's header, `#tg<id>`. */
const TICKET_TAG = /#tg(\d{1,16})\b/;

/**
 * Help & support. The `help` button shows the help screen; `support` asks for the question with a
 * force-reply prompt, and the user's reply to that prompt goes to the support chat under a header
 * with who sent it (`#tg<id>`) and their subscriptions. An operator's reply to that ticket in the
 * support chat is sent to the user, in the user's language. Nothing is kept in memory: the prompt
 * and the ticket the messages reply to carry the state, so it survives restarts.
 */
export function supportFeature(deps: SupportDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const { supportChatId } = deps;
  const prompts = new Set(Object.values(deps.texts).map((texts) => texts.menu.supportPrompt));

  feature.callbackQuery(callbackTrigger('help'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'help') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    await ctx.answerCallbackQuery();
    const keyboard = new InlineKeyboard();
    if (supportChatId !== undefined) keyboard.text(ctx.texts.menu.buttons.writeSupport, encodeCallback({ type: 'support' })).row();
    keyboard.text(ctx.texts.menu.buttons.menu, encodeCallback({ type: 'menu' }));
    await showScreen(ctx, 'edit', ctx.texts.menu.helpScreen, keyboard);
  });

  feature.callbackQuery(callbackTrigger('support'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'support') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    if (supportChatId === undefined) {
      await ctx.answerCallbackQuery({ text: ctx.texts.menu.supportUnavailable, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.reply(ctx.texts.menu.supportPrompt, { reply_markup: { force_reply: true, input_field_placeholder: '…' } });
  });

  if (supportChatId === undefined) return feature;

  feature
    .chatType('private')
    .on('message:text')
    .filter((ctx) => ctx.message.reply_to_message?.from?.id === ctx.me.id && prompts.has(ctx.message.reply_to_message.text ?? ''))
    .use(async (ctx) => {
      const user = await senderUser(ctx, deps.services);
      const subscriptions = user === null ? [] : await deps.services.mySubscriptions(user.userId);
      const header = ctx.texts.menu.supportTicket({
        telegramId: ctx.from.id,
        name: ctx.from.first_name,
        ...(ctx.from.username === undefined ? {} : { username: ctx.from.username }),
        userId: user?.userId ?? null,
        subscriptions: subscriptions.slice(0, 5).map((sub) => ctx.texts.menu.supportTicketSubscription(sub)),
      });
      await ctx.api.sendMessage(supportChatId, `${header}\n\n${ctx.message.text.slice(0, MAX_QUESTION)}`, {
        link_preview_options: { is_disabled: true },
      });
      await ctx.reply(ctx.texts.menu.supportSent);
    });

  feature
    .filter((ctx) => ctx.chat?.id === supportChatId)
    .on('message:text')
    .filter((ctx) => ctx.message.reply_to_message?.from?.id === ctx.me.id && TICKET_TAG.test(ctx.message.reply_to_message.text ?? ''))
    .use(async (ctx) => {
      const telegramId = Number(TICKET_TAG.exec(ctx.message.reply_to_message?.text ?? '')?.[1]);
      const user = await deps.services.findUser(telegramId);
      const texts = deps.texts[pickLocale(user?.languageCode ?? undefined)];
      try {
        await ctx.api.sendMessage(telegramId, texts.menu.supportReply(ctx.message.text));
      } catch (error) {
        if (!(error instanceof GrammyError && (error.error_code === 403 || error.error_code === 400))) throw error;
        deps.log.warn({ error: deps.describe(error), telegramId }, 'support reply not delivered');
        await ctx.reply(ctx.texts.menu.supportNotDelivered, { reply_parameters: { message_id: ctx.message.message_id } });
        return;
      }
      await ctx.reply(ctx.texts.menu.supportDelivered, { reply_parameters: { message_id: ctx.message.message_id } });
    });
  return feature;
}
