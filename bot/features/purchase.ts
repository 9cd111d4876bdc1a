import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotPlan, BotPromo, BotServices, PaymentMethod } from '../bot-services';
import { callbackTrigger, encodeCallback, parseCallback } from '../callback-data';
import { promoPriceKopecks } from '../promo-price';
import { showScreen } from '../show-screen';

/** What browsing plans and starting a purchase use. */
export type PurchaseServices = Pick<BotServices, 'listPlans' | 'paymentMethods' | 'findUser' | 'pendingPromo' | 'startPurchase'>;

/** The user's pending promo (null before /start or without one). */
async function promoOf(ctx: BotContext, services: Pick<BotServices, 'findUser' | 'pendingPromo'>): Promise<BotPromo | null> {
  const user = ctx.from === undefined ? null : await services.findUser(ctx.from.id);
  return user === null ? null : services.pendingPromo(user.userId);
}

/** The plan list with one `plan:<id>` button per plan (and the pending promo), or a "nothing on sale" note. */
export async function showPlans(
  ctx: BotContext,
  services: Pick<BotServices, 'listPlans' | 'findUser' | 'pendingPromo'>,
  mode: 'reply' | 'edit',
): Promise<void> {
  const [plans, promo] = await Promise.all([services.listPlans(ctx.locale), promoOf(ctx, services)]);
  if (plans.length === 0) {
    await showScreen(ctx, mode, ctx.texts.noPlans);
    return;
  }
  const keyboard = InlineKeyboard.from(
    plans.map((plan) => [InlineKeyboard.text(ctx.texts.planButton(plan), encodeCallback({ type: 'plan', planId: plan.id }))]),
  );
  const lines = [
    ctx.texts.plansHeader,
    ...plans.map((plan) => ctx.texts.planLine(plan)),
    ...(promo === null ? [] : ['', ctx.texts.promoActive(promo)]),
  ];
  await showScreen(ctx, mode, lines.join('\n'), keyboard);
}

/** The plan's price with the promo, as the screens show it. */
const withPromo = (plan: BotPlan, promo: BotPromo | null) =>
  promo === null ? undefined : { code: promo.code, priceKopecks: promoPriceKopecks(plan.priceKopecks, promo) };

/**
 * Plans and purchases: /plans and the `plans` button list the plans, `plan:<id>` shows a plan with
 * its payment methods (and the pending promo price), `pay:<id>:<method>` creates the order and
 * sends a payment link, a Stars invoice, or the outcome; `gift:<id>` and `gpay:<id>:<method>` do the
 * same for a gift of the plan (its link appears in My gifts once paid). Malformed data, plans no longer on sale
 * and disabled methods are answered as out of date; nothing is ordered for them.
 */
export function purchaseFeature(services: PurchaseServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const answerStale = (ctx: BotContext) => ctx.answerCallbackQuery({ text: ctx.texts.staleButton });

  feature.chatType('private').command('plans', (ctx) => showPlans(ctx, services, 'reply'));

  feature.callbackQuery(callbackTrigger('plans'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'plans') {
      await answerStale(ctx);
      return;
    }
    await ctx.answerCallbackQuery();
    await showPlans(ctx, services, 'edit');
  });

  /** The plan (and, for `pay`, the method) the pressed button names, while still on sale. */
  const chosen = async (ctx: BotContext) => {
    const action = parseCallback(ctx.callbackQuery?.data);
    if (action?.type !== 'plan' && action?.type !== 'pay' && action?.type !== 'gift' && action?.type !== 'gpay') return undefined;
    const [plans, methods] = await Promise.all([services.listPlans(ctx.locale), services.paymentMethods()]);
    const plan = plans.find((candidate) => candidate.id === action.planId);
    if (plan === undefined || ((action.type === 'pay' || action.type === 'gpay') && !methods.includes(action.method))) return undefined;
    return { action, plan, methods };
  };

  feature.callbackQuery(callbackTrigger('plan'), async (ctx) => {
    const choice = await chosen(ctx);
    if (choice?.action.type !== 'plan') {
      await answerStale(ctx);
      return;
    }
    const { plan, methods } = choice;
    await ctx.answerCallbackQuery();
    const keyboard = InlineKeyboard.from([
      ...methods.map((method) => [
        InlineKeyboard.text(ctx.texts.paymentMethods[method], encodeCallback({ type: 'pay', planId: plan.id, method })),
      ]),
      [InlineKeyboard.text(ctx.texts.giftButton, encodeCallback({ type: 'gift', planId: plan.id }))],
      [InlineKeyboard.text(ctx.texts.backToPlans, encodeCallback({ type: 'plans' }))],
    ]);
    await showScreen(ctx, 'edit', ctx.texts.planDetails(plan, withPromo(plan, await promoOf(ctx, services))), keyboard);
  });

  feature.callbackQuery(callbackTrigger('gift'), async (ctx) => {
    const choice = await chosen(ctx);
    if (choice?.action.type !== 'gift') {
      await answerStale(ctx);
      return;
    }
    const { plan, methods } = choice;
    await ctx.answerCallbackQuery();
    const keyboard = InlineKeyboard.from([
      ...methods.map((method) => [
        InlineKeyboard.text(ctx.texts.paymentMethods[method], encodeCallback({ type: 'gpay', planId: plan.id, method })),
      ]),
      [InlineKeyboard.text(ctx.texts.backToPlans, encodeCallback({ type: 'plan', planId: plan.id }))],
    ]);
    await showScreen(ctx, 'edit', ctx.texts.giftChooseMethod(plan, withPromo(plan, await promoOf(ctx, services))), keyboard);
  });

  for (const type of ['pay', 'gpay'] as const) {
    feature.callbackQuery(callbackTrigger(type), async (ctx) => {
      const choice = await chosen(ctx);
      if (choice?.action.type !== type) {
        await answerStale(ctx);
        return;
      }
      await startPurchase(ctx, choice.plan, choice.action.method, type === 'gpay');
    });
  }

  const startPurchase = async (ctx: BotContext, plan: BotPlan, method: PaymentMethod, gift: boolean) => {
    const user = ctx.from === undefined ? null : await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const promo = await services.pendingPromo(user.userId);
    const result = await services.startPurchase({ userId: user.userId, planId: plan.id, method, ...(gift ? { gift } : {}) });
    switch (result.kind) {
      case 'redirect': {
        const charged = promo === null ? plan : { ...plan, priceKopecks: promoPriceKopecks(plan.priceKopecks, promo) };
        await ctx.reply(ctx.texts.payByLink(charged), { reply_markup: new InlineKeyboard().url(ctx.texts.payButton, result.url) });
        return;
      }
      case 'stars-invoice':
        await ctx.replyWithInvoice(
          ctx.texts.starsInvoiceTitle(plan).slice(0, 32),
          ctx.texts.starsInvoiceDescription(plan).slice(0, 255),
          result.payload,
          'XTR',
          [{ label: ctx.texts.starsInvoiceLabel(plan), amount: result.stars }],
        );
        return;
      case 'done':
        await ctx.reply(gift ? ctx.texts.giftPaid : ctx.texts.purchaseDone);
        return;
      case 'rejected':
        await ctx.reply(ctx.texts.purchaseRejected[result.reason]);
        return;
    }
  };
  return feature;
}
