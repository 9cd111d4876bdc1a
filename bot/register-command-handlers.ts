import { InlineKeyboard, type Bot } from 'grammy';
import type { BotContext } from './bot-context';
import { encodeCallback, parseReferralCode } from './callback-data';
import type { BotDeps } from './create-bot';
import { showPlans } from './show-plans';

/**
 * The bot's commands in private chats: /start (with `ref_<code>` deep links; new users also get
 * a free-trial button while trials are on), /help, /plans, /promo, /subscriptions, and the Telegram
 * Stars policy commands /paysupport and /terms.
 */
export function registerCommandHandlers(bot: Bot<BotContext>, deps: BotDeps): void {
  const { services } = deps;
  const privateChat = bot.chatType('private');

  privateChat.command('start', async (ctx) => {
    const referralCode = parseReferralCode(ctx.match);
    const { isNew } = await services.registerUser({
      telegramId: ctx.from.id,
      firstName: ctx.from.first_name,
      ...(ctx.from.username === undefined ? {} : { username: ctx.from.username }),
      ...(ctx.from.language_code === undefined ? {} : { languageCode: ctx.from.language_code }),
      ...(referralCode === undefined ? {} : { referralCode }),
    });
    const keyboard = new InlineKeyboard().text(ctx.texts.showPlansButton, encodeCallback({ type: 'plans' }));
    const trialDays = services.trialDays();
    if (isNew && trialDays !== null) keyboard.row().text(ctx.texts.trialButton(trialDays), encodeCallback({ type: 'trial' }));
    await ctx.reply(ctx.texts.welcome({ firstName: ctx.from.first_name, isNew }), { reply_markup: keyboard });
  });

  privateChat.command('help', (ctx) => ctx.reply(ctx.texts.help));
  privateChat.command('plans', (ctx) => showPlans(ctx, services, 'reply'));
  privateChat.command('paysupport', (ctx) => ctx.reply(ctx.texts.paySupport(deps.supportContact)));
  privateChat.command('terms', (ctx) => ctx.reply(ctx.texts.terms));

  privateChat.command('promo', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const code = ctx.match.trim();
    if (code === '') {
      await ctx.reply(ctx.texts.promoUsage);
      return;
    }
    const promo = await services.rememberPromoCode({ userId: user.userId, code: code.slice(0, 64) });
    await ctx.reply(promo === null ? ctx.texts.promoRejected : ctx.texts.promoApplied(promo));
  });

  privateChat.command('subscriptions', async (ctx) => {
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.reply(ctx.texts.needStart);
      return;
    }
    const subscriptions = await services.mySubscriptions(user.userId);
    await ctx.reply(
      subscriptions.length === 0
        ? ctx.texts.noSubscriptions
        : [ctx.texts.subscriptionsHeader, ...subscriptions.map((sub) => ctx.texts.subscriptionLine(sub))].join('\n'),
      { link_preview_options: { is_disabled: true } },
    );
  });
}
