import { Composer } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from '../bot-context';
import type { BotServices, StarsCheckout } from '../bot-services';
import type { ErrorSummary } from '../describe-error';

/** What the Stars checkout uses. */
export type StarsCheckoutServices = Pick<BotServices, 'checkStarsCheckout' | 'completeStarsPayment'>;

/** Logging of {@link starsCheckoutFeature}. */
export interface StarsCheckoutLogging {
  log: Logger;
  /** Summarises an error for the log without the token (`describeError` bound to it). */
  describe: (error: unknown) => ErrorSummary;
}

/** The Stars checkout a pre-checkout query or a successful payment reports, as the services take it. */
function starsCheckoutOf(telegramId: number, invoice: { invoice_payload: string; currency: string; total_amount: number }): StarsCheckout {
  return { telegramId, invoicePayload: invoice.invoice_payload, currency: invoice.currency, totalAmount: invoice.total_amount };
}

/** Telegram Stars checkout: the pre-checkout query and the successful-payment message. */
export function starsCheckoutFeature(services: StarsCheckoutServices, { log, describe }: StarsCheckoutLogging): Composer<BotContext> {
  const feature = new Composer<BotContext>();

  /* Telegram cancels the purchase unless this is answered within 10 s, so failures answer "no". */
  feature.on('pre_checkout_query', async (ctx) => {
    const query = ctx.preCheckoutQuery;
    let verdict: Awaited<ReturnType<typeof services.checkStarsCheckout>>;
    try {
      verdict = await services.checkStarsCheckout(starsCheckoutOf(query.from.id, query));
    } catch (error) {
      log.error({ error: describe(error), updateId: ctx.update.update_id }, 'pre-checkout check failed');
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
  feature.on('message:successful_payment', async (ctx) => {
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
      log.error(
        { error: describe(error), updateId: ctx.update.update_id },
        'could not store a Stars charge; the Stars reconciler will settle it',
      );
      result = { status: 'accepted' };
    }
    if (result.status === 'duplicate') {
      log.info({ updateId: ctx.update.update_id }, 'repeated successful_payment ignored');
      return;
    }
    // Best effort: a failed thank-you must not reach bot.catch, whose reply says "try again".
    await ctx.reply(ctx.texts.paymentReceived).catch((error: unknown) => {
      log.warn({ error: describe(error), updateId: ctx.update.update_id }, 'could not thank the payer');
    });
  });
  return feature;
}
