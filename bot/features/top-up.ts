import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices, PaymentMethod } from '../bot-services';
import { callbackTrigger, encodeCallback, parseCallback } from '../callback-data';
import { showScreen } from '../show-screen';

/** What topping up the balance uses. */
export type TopUpServices = Pick<BotServices, 'findUser' | 'paymentMethods' | 'topUpBounds' | 'startTopUp'>;

/** The amounts offered as buttons, in whole roubles, where the deployment's bounds allow them. */
const PRESET_RUB = [100, 300, 500, 1000, 2000, 5000] as const;

/**
 * Balance top-ups: `topup` (the Balance screen's button, or /topup alone) shows amounts; `tamt:<rub>`
 * (or /topup <rub>) the methods for that amount; `tpay:<rub>:<method>` creates the order and sends
 * the payment link or a Stars invoice. The payment's completion credits the balance and the worker
 * tells the user. Amounts outside the bounds, the balance as a method, disabled methods and
 * malformed data are refused; nothing is ordered for them.
 */
export function topUpFeature(services: TopUpServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const answerStale = (ctx: BotContext) => ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
  const inBounds = (rub: number) => {
    const { min, max } = services.topUpBounds();
    return Number.isInteger(rub) && rub >= min && rub <= max;
  };
  /** The methods a top-up can be paid by: every one on offer but the balance itself. */
  const topUpMethods = async (): Promise<PaymentMethod[]> => (await services.paymentMethods()).filter((method) => method !== 'balance');

  const showAmounts = async (ctx: BotContext, mode: 'reply' | 'edit') => {
    const texts = ctx.texts.menu;
    if ((await topUpMethods()).length === 0) {
      await showScreen(ctx, mode, texts.topUp.noMethods);
      return;
    }
    const amounts = PRESET_RUB.filter(inBounds).map((rub) =>
      InlineKeyboard.text(texts.topUp.amountButton(rub), encodeCallback({ type: 'tamt', rub })),
    );
    const rows = Array.from({ length: Math.ceil(amounts.length / 3) }, (_, row) => amounts.slice(row * 3, row * 3 + 3));
    const keyboard = InlineKeyboard.from([
      ...rows,
      [InlineKeyboard.text(texts.buttons.backToBalance, encodeCallback({ type: 'balance' }))],
    ]);
    await showScreen(ctx, mode, texts.topUp.chooseAmount(services.topUpBounds()), keyboard);
  };

  const showMethods = async (ctx: BotContext, rub: number, mode: 'reply' | 'edit') => {
    const methods = await topUpMethods();
    if (methods.length === 0) {
      await showScreen(ctx, mode, ctx.texts.menu.topUp.noMethods);
      return;
    }
    const keyboard = InlineKeyboard.from([
      ...methods.map((method) => [InlineKeyboard.text(ctx.texts.paymentMethods[method], encodeCallback({ type: 'tpay', rub, method }))]),
      [InlineKeyboard.text(ctx.texts.menu.buttons.backToBalance, encodeCallback({ type: 'topup' }))],
    ]);
    await showScreen(ctx, mode, ctx.texts.menu.topUp.chooseMethod(rub), keyboard);
  };

  feature.chatType('private').command('topup', async (ctx) => {
    const argument = ctx.match
      .trim()
      .replace(/\s+/g, '')
      .replace(/(₽|р\.?|руб\.?|rub)$/i, '');
    if (argument === '') {
      await showAmounts(ctx, 'reply');
      return;
    }
    const rub = /^\d{1,9}$/.test(argument) ? Number(argument) : Number.NaN;
    if (!inBounds(rub)) {
      await ctx.reply(ctx.texts.purchaseRejected['amount-invalid']);
      return;
    }
    await showMethods(ctx, rub, 'reply');
  });

  feature.callbackQuery(callbackTrigger('topup'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'topup') {
      await answerStale(ctx);
      return;
    }
    await ctx.answerCallbackQuery();
    await showAmounts(ctx, 'edit');
  });

  feature.callbackQuery(callbackTrigger('tamt'), async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'tamt' || !inBounds(action.rub)) {
      await answerStale(ctx);
      return;
    }
    await ctx.answerCallbackQuery();
    await showMethods(ctx, action.rub, 'edit');
  });

  feature.callbackQuery(callbackTrigger('tpay'), async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'tpay' || !inBounds(action.rub) || !(await topUpMethods()).includes(action.method)) {
      await answerStale(ctx);
      return;
    }
    const user = await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const { rub, method } = action;
    const result = await services.startTopUp({ userId: user.userId, rub, method });
    const texts = ctx.texts.menu.topUp;
    switch (result.kind) {
      case 'redirect':
        await ctx.reply(texts.payByLink(rub), { reply_markup: new InlineKeyboard().url(ctx.texts.payButton, result.url) });
        return;
      case 'stars-invoice':
        await ctx.replyWithInvoice(texts.starsTitle.slice(0, 32), texts.starsDescription(rub).slice(0, 255), result.payload, 'XTR', [
          { label: texts.starsTitle, amount: result.stars },
        ]);
        return;
      case 'done':
        // A top-up is never paid from the balance; nothing else completes at once.
        await ctx.reply(ctx.texts.purchaseDone);
        return;
      case 'rejected':
        await ctx.reply(ctx.texts.purchaseRejected[result.reason]);
        return;
    }
  });
  return feature;
}
