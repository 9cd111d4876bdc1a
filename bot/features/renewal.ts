import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices, PaymentMethod, PurchaseStart } from '../bot-services';
import { callbackTrigger, encodeCallback, parseCallback } from '../callback-data';
import { showScreen } from '../show-screen';

/** Renewing a subscription with the same key: what the bot needs of the purchase service. */
export interface RenewalService {
  /**
   * Creates an order for another period of the user's own subscription, paid with `method`, and
   * says how to pay (as a purchase does); `rejected` when it cannot be renewed that way.
   */
  startRenewal(input: { userId: number; subscriptionId: number; method: PaymentMethod }): Promise<PurchaseStart>;
}

/** What renewal uses. */
export interface RenewalDeps {
  services: Pick<BotServices, 'findUser' | 'subscriptionDetails' | 'paymentMethods' | 'pendingPromo'>;
  /** Absent while the backend offers no renewal: Renew buttons (e.g. of reminders) then say so. */
  renewal?: RenewalService | undefined;
}

/**
 * Renew (`renew:<id>`): the payment methods for another period of that subscription, then
 * `rpay:<id>:<method>` starts the renewal and sends the payment link, a Stars invoice, or the
 * outcome. Only the user's own subscriptions; foreign, forged or stale ids are answered as out of
 * date and create no order.
 */
export function renewalFeature(deps: RenewalDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();

  /** The user and their own subscription the button names, or undefined (the query is answered). */
  const owned = async (ctx: BotContext, subscriptionId: number) => {
    const user = ctx.from === undefined ? null : await deps.services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return undefined;
    }
    const sub = await deps.services.subscriptionDetails({ userId: user.userId, subscriptionId, locale: ctx.locale });
    if (sub === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return undefined;
    }
    return { user, sub };
  };

  feature.callbackQuery(callbackTrigger('renew'), async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'renew') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const found = await owned(ctx, action.subscriptionId);
    if (found === undefined) return;
    if (deps.renewal === undefined) {
      await ctx.answerCallbackQuery({ text: ctx.texts.menu.renewUnavailable, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const [methods, promo] = await Promise.all([deps.services.paymentMethods(), deps.services.pendingPromo(found.user.userId)]);
    const keyboard = InlineKeyboard.from([
      ...methods.map((method) => [
        InlineKeyboard.text(ctx.texts.paymentMethods[method], encodeCallback({ type: 'rpay', subscriptionId: found.sub.id, method })),
      ]),
      [InlineKeyboard.text(ctx.texts.menu.buttons.backToSubscription, encodeCallback({ type: 'sub', subscriptionId: found.sub.id }))],
    ]);
    const text = [ctx.texts.menu.renewChooseMethod(found.sub), ...(promo === null ? [] : [ctx.texts.promoActive(promo)])].join('\n');
    await showScreen(ctx, 'edit', text, keyboard);
  });

  feature.callbackQuery(callbackTrigger('rpay'), async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'rpay' || deps.renewal === undefined || !(await deps.services.paymentMethods()).includes(action.method)) {
      await ctx.answerCallbackQuery({
        text: deps.renewal === undefined && action?.type === 'rpay' ? ctx.texts.menu.renewUnavailable : ctx.texts.staleButton,
      });
      return;
    }
    const found = await owned(ctx, action.subscriptionId);
    if (found === undefined) return;
    await ctx.answerCallbackQuery();
    const result = await deps.renewal.startRenewal({ userId: found.user.userId, subscriptionId: found.sub.id, method: action.method });
    const { planName } = found.sub;
    switch (result.kind) {
      case 'redirect':
        await ctx.reply(ctx.texts.menu.renewByLink(planName), { reply_markup: new InlineKeyboard().url(ctx.texts.payButton, result.url) });
        return;
      case 'stars-invoice':
        await ctx.replyWithInvoice(
          `VPN: ${planName}`.slice(0, 32),
          ctx.texts.menu.renewInvoiceDescription(planName).slice(0, 255),
          result.payload,
          'XTR',
          [{ label: planName.slice(0, 32), amount: result.stars }],
        );
        return;
      case 'done':
        await ctx.reply(ctx.texts.menu.renewDone);
        return;
      case 'rejected':
        await ctx.reply(ctx.texts.purchaseRejected[result.reason]);
        return;
    }
  });
  return feature;
}
