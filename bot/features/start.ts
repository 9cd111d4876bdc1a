import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { encodeCallback, parseGiftCode, parseReferralCode } from '../callback-data';
import { mainMenuKeyboard } from '../main-menu';

/** What /start uses: registration and whether to offer the trial. */
export type StartServices = Pick<BotServices, 'registerUser' | 'trialDays' | 'redeemGift'>;

/**
 * /start in private chats: registers the user (with the `ref_<code>` deep-link referral code when
 * well-formed) and greets them with a plans button, plus a free-trial button for new users while
 * trials are on, then the main menu. `/start gift_<code>` (a gift link) redeems the gift for the
 * user first: the first user to open it gets the subscription; later ones are told politely.
 */
export function startFeature(services: StartServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').command('start', async (ctx) => {
    const referralCode = parseReferralCode(ctx.match);
    const giftCode = parseGiftCode(ctx.match);
    // A known sender came with the update's claim: nothing to register (a referral code counts
    // only on first contact).
    const { userId, isNew } =
      ctx.user != null
        ? { userId: ctx.user.userId, isNew: false }
        : await services.registerUser({
            telegramId: ctx.from.id,
            firstName: ctx.from.first_name,
            ...(ctx.from.username === undefined ? {} : { username: ctx.from.username }),
            ...(ctx.from.language_code === undefined ? {} : { languageCode: ctx.from.language_code }),
            ...(referralCode === undefined ? {} : { referralCode }),
          });
    if (giftCode !== undefined) {
      const redeemed = await services.redeemGift({ userId, code: giftCode });
      await ctx.reply(redeemed.kind === 'redeemed' ? ctx.texts.giftRedeemed : ctx.texts.giftRefused[redeemed.reason], {
        reply_markup: mainMenuKeyboard(ctx),
      });
      return;
    }
    const keyboard = new InlineKeyboard().text(ctx.texts.showPlansButton, encodeCallback({ type: 'plans' }));
    const trialDays = services.trialDays();
    if (isNew && trialDays !== null) keyboard.row().text(ctx.texts.trialButton(trialDays), encodeCallback({ type: 'trial' }));
    await ctx.reply(ctx.texts.welcome({ firstName: ctx.from.first_name, isNew }), { reply_markup: keyboard });
    await ctx.reply(ctx.texts.menu.mainMenu, { reply_markup: mainMenuKeyboard(ctx) });
  });
  return feature;
}
