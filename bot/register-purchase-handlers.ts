import { InlineKeyboard, type Bot } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from './bot-context';
import type { BotPlan, PaymentMethod, StarsCheckout } from './bot-services';
import { encodeCallback, parseCallback } from './callback-data';
import type { BotDeps } from './create-bot';
import { describeError } from './describe-error';
import { promoPrice } from '../lib/money';
import { showPlans, showScreen } from './show-plans';

/** The Stars checkout a pre-checkout query or a successful payment reports, as the services take it. */
function starsCheckoutOf(telegramId: number, invoice: { invoice_payload: string; currency: string; total_amount: number }): StarsCheckout {
  return { telegramId, invoicePayload: invoice.invoice_payload, currency: invoice.currency, totalAmount: invoice.total_amount };
}

/**
 * Inline buttons and checkout: `plans`, `plan:<id>` (choose a payment method), `pay:<id>:<method>`
 * (start the purchase), plus the Telegram Stars pre-checkout and successful-payment updates.
 * Callback data is parsed with zod; anything malformed, unknown or stale gets a polite
 * "out of date" answer instead of an error.
 */
export function registerPurchaseHandlers(bot: Bot<BotContext>, deps: BotDeps, log: Logger): void {
  const { services } = deps;
  const answerStale = (ctx: BotContext) => ctx.answerCallbackQuery({ text: ctx.texts.staleButton });

  bot.on('callback_query:data', async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    // 'trial' and 'autorenew' are answered by the account handlers registered before these.
    if (action === undefined || action.type === 'trial' || action.type === 'autorenew') {
      await answerStale(ctx);
      return;
    }
    if (action.type === 'plans') {
      await ctx.answerCallbackQuery();
      await showPlans(ctx, services, 'edit');
      return;
    }
    const [plans, methods] = await Promise.all([services.listPlans(), services.paymentMethods()]);
    const plan = plans.find((candidate) => candidate.id === action.planId);
    if (plan === undefined || (action.type === 'pay' && !methods.includes(action.method))) {
      await answerStale(ctx);
      return;
    }
    if (action.type === 'plan') {
      await ctx.answerCallbackQuery();
      const keyboard = InlineKeyboard.from([
        ...methods.map((method) => [
          InlineKeyboard.text(ctx.texts.paymentMethods[method], encodeCallback({ type: 'pay', planId: plan.id, method })),
        ]),
        [InlineKeyboard.text(ctx.texts.backToPlans, encodeCallback({ type: 'plans' }))],
      ]);
      const user = await services.findUser(ctx.from.id);
      const promo = user === null ? null : await services.rememberedPromo(user.userId);
      const discounted = promo === null ? undefined : { code: promo.code, priceKopecks: Number(promoPrice(BigInt(plan.priceKopecks), promo.percentOff)) };
      await showScreen(ctx, 'edit', ctx.texts.planDetails(plan, discounted), keyboard);
      return;
    }
    await startPurchase(ctx, plan, action.method);
  });

  bot.on('callback_query', (ctx) => answerStale(ctx));

  const startPurchase = async (ctx: BotContext, plan: BotPlan, method: PaymentMethod) => {
    const user = ctx.from === undefined ? null : await services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const promo = await services.rememberedPromo(user.userId);
    const result = await services.startPurchase({ userId: user.userId, planId: plan.id, method });
    switch (result.kind) {
      case 'redirect': {
        const charged = promo === null ? plan : { ...plan, priceKopecks: Number(promoPrice(BigInt(plan.priceKopecks), promo.percentOff)) };
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
        await ctx.reply(ctx.texts.purchaseDone);
        return;
      case 'rejected':
        await ctx.reply(ctx.texts.purchaseRejected[result.reason]);
        return;
    }
  };

  /* Telegram cancels the purchase unless this is answered within 10 s, so failures answer "no". */
  bot.on('pre_checkout_query', async (ctx) => {
    const query = ctx.preCheckoutQuery;
    let verdict: Awaited<ReturnType<typeof services.checkStarsCheckout>>;
    try {
      verdict = await services.checkStarsCheckout(starsCheckoutOf(query.from.id, query));
    } catch (error) {
      log.error({ error: describeError(error, deps.token), updateId: ctx.update.update_id }, 'pre-checkout check failed');
      await ctx.answerPreCheckoutQuery(false, { error_message: ctx.texts.genericError });
      return;
    }
    if (verdict.ok) await ctx.answerPreCheckoutQuery(true);
    else await ctx.answerPreCheckoutQuery(false, { error_message: ctx.texts.checkoutRejected[verdict.reason] });
  });

  /*
   * Telegram has taken the Stars by now: whatever fails here, the user is never told to pay again.
   * The charge is stored first and settled by `stars-charge-{id}`; when even the store fails, the
   * stars-reconcile Schedule finds the charge in getStarTransactions and settles it.
   */
  bot.on('message:successful_payment', async (ctx) => {
    const payment = ctx.message.successful_payment;
    let result: Awaited<ReturnType<typeof services.completeStarsPayment>>;
    try {
      result = await services.completeStarsPayment({
        ...starsCheckoutOf(ctx.from.id, payment),
        telegramPaymentChargeId: payment.telegram_payment_charge_id,
        providerPaymentChargeId: payment.provider_payment_charge_id,
        raw: { ...payment },
      });
    } catch (error) {
      log.error({ error: describeError(error, deps.token), updateId: ctx.update.update_id }, 'could not store a Stars charge; the Stars reconciler will settle it');
      result = { status: 'accepted' };
    }
    if (result.status === 'duplicate') {
      log.info({ updateId: ctx.update.update_id }, 'repeated successful_payment ignored');
      return;
    }
    // Best effort: a failed thank-you must not reach bot.catch, whose reply says "try again".
    await ctx.reply(ctx.texts.paymentReceived).catch((error: unknown) => {
      log.warn({ error: describeError(error, deps.token), updateId: ctx.update.update_id }, 'could not thank the payer');
    });
  });
}
