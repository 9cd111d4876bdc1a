/**
 * The console's people: find a user, their card, and the actions on it (extend, refund, move,
 * cancel, adjust the balance, resend the key). Subscription changes go through the operator
 * actions (the subscription workflow's validated updates, audited with the operator as actor);
 * the balance through the ledger; refunds by payment method when the refunds use case is wired.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import { showScreen } from '../show-screen';
import {
  adminTextsOf,
  adm,
  answers,
  at,
  backRow,
  changeOutcome,
  operatorOnly,
  parseAdminCallback,
  pressed,
  type AdminDeps,
} from './admin-common';
import { parseBalanceAdjustment, parseDays } from './admin-input';
import { pickLocale } from '../locales';

const VERBS = ['find', 'u', 'sub', 'ext', 'rf', 'rfp', 'rfy', 'mv', 'mvt', 'cn', 'cny', 'bal', 'key'];

/** The user card's buttons: per live subscription extend/move/cancel/key; refund and balance. */
function cardKeyboard(ctx: BotContext, card: { userId: number; subscriptions: Array<{ id: number; status: string }> }): InlineKeyboard {
  const b = at(ctx).buttons;
  const keyboard = new InlineKeyboard();
  for (const sub of card.subscriptions.filter((candidate) => candidate.status === 'active' || candidate.status === 'pending').slice(0, 5)) {
    keyboard
      .text(`${b.extend} #${sub.id}`, adm('ext', sub.id))
      .text(`${b.move} #${sub.id}`, adm('mv', sub.id))
      .row()
      .text(`${b.cancel} #${sub.id}`, adm('cn', sub.id))
      .text(`${b.resendKey} #${sub.id}`, adm('key', sub.id))
      .row();
  }
  keyboard.text(b.refund, adm('rf', card.userId)).text(b.balance, adm('bal', card.userId));
  return backRow(ctx, keyboard);
}

/** Finding users and acting on them. */
export function adminUsersFeature(deps: AdminDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const pendingKind = (ctx: BotContext) => answers(deps, ctx, ['find', 'extend', 'balance']);
  const gated = operatorOnly(feature, deps, (ctx) => pressed(...VERBS)(ctx) || pendingKind(ctx));

  /** Shows user `userId`'s card. */
  async function showCard(ctx: BotContext, userId: number, mode: 'reply' | 'edit'): Promise<void> {
    const texts = at(ctx);
    if (deps.console === undefined) return showScreen(ctx, mode, texts.unavailable, backRow(ctx));
    const card = await deps.console.userCard(userId);
    if (card === null) return showScreen(ctx, mode, texts.noSuchUser, backRow(ctx));
    return showScreen(ctx, mode, texts.userCard(card), cardKeyboard(ctx, card));
  }

  gated.on('callback_query:data', async (ctx, next) => {
    const data = parseAdminCallback(ctx.callbackQuery.data);
    if (data === null || !VERBS.includes(data.verb)) return next();
    await ctx.answerCallbackQuery();
    const texts = at(ctx);
    const chatId = ctx.chat?.id ?? ctx.from.id;
    const request = { operatorTelegramId: ctx.from.id, requestId: `tg-${ctx.update.update_id}` };
    if (data.verb !== 'find' && !Number.isSafeInteger(data.a)) return showScreen(ctx, 'edit', texts.unavailable, backRow(ctx));
    const operator = deps.operator;
    const needsOperator = ['ext', 'mv', 'mvt', 'cn', 'cny', 'sub'];
    if (operator === undefined && needsOperator.includes(data.verb)) return showScreen(ctx, 'edit', texts.unavailable, backRow(ctx));
    switch (data.verb) {
      case 'find':
        deps.inputs.set(chatId, { kind: 'find' });
        return showScreen(ctx, 'edit', texts.findPrompt, backRow(ctx));
      case 'u':
        return showCard(ctx, data.a, ctx.chat?.type === 'private' ? 'edit' : 'reply');
      case 'sub': {
        const view = await operator?.describeSubscription(data.a);
        if (view === null || view === undefined) return showScreen(ctx, 'reply', texts.refusal['no-subscription'], backRow(ctx));
        return showCard(ctx, view.userId, 'reply');
      }
      case 'ext':
        deps.inputs.set(chatId, { kind: 'extend', subscriptionId: data.a });
        return showScreen(ctx, 'reply', texts.extendPrompt(data.a), backRow(ctx));
      case 'rf': {
        const card = await deps.console?.userCard(data.a);
        const payments = (card?.payments ?? []).filter((payment) => payment.status === 'completed' && payment.subscription_id !== null);
        if (payments.length === 0) return showScreen(ctx, 'reply', texts.refundNothing, backRow(ctx));
        const keyboard = new InlineKeyboard();
        for (const payment of payments)
          keyboard
            .text(
              `#${payment.id} ${payment.amount} ${payment.currency} ${payment.payment_method}`,
              adm('rfp', payment.id, payment.subscription_id ?? 0),
            )
            .row();
        return showScreen(ctx, 'reply', texts.refundPick, backRow(ctx, keyboard));
      }
      case 'rfp':
        return showScreen(
          ctx,
          'edit',
          texts.refundConfirm(data.a, `#${data.b}`),
          backRow(ctx, new InlineKeyboard().text(texts.buttons.confirm, adm('rfy', data.a, data.b))),
        );
      case 'rfy': {
        if (deps.refunds !== undefined) {
          const outcome = await deps.refunds.refundPayment({ paymentId: data.a, ...request });
          const text =
            outcome.kind === 'refunded'
              ? texts.refunded(data.a, outcome.to, outcome.amount, outcome.currency)
              : outcome.kind === 'pending'
                ? texts.refundPending(data.a, outcome.amount, outcome.currency)
                : texts.refundRefused(outcome.reason, outcome.message);
          return showScreen(ctx, 'edit', text, backRow(ctx));
        }
        if (operator === undefined || !Number.isSafeInteger(data.b)) return showScreen(ctx, 'edit', texts.unavailable, backRow(ctx));
        const result = await operator.refund({ subscriptionId: data.b, paymentId: data.a, ...request });
        return showScreen(
          ctx,
          'edit',
          changeOutcome(texts, result, ({ amountKopecks }) =>
            texts.refunded(data.a, 'balance', (Number(amountKopecks) / 100).toFixed(2), 'RUB'),
          ),
          backRow(ctx),
        );
      }
      case 'mv': {
        const view = await operator?.describeSubscription(data.a);
        const servers = deps.servers === undefined ? [] : await deps.servers(ctx.from.id).list();
        const keyboard = new InlineKeyboard().text(texts.buttons.anyServer, adm('mvt', data.a, 0)).row();
        for (const server of servers.filter(
          (candidate) =>
            candidate.open && candidate.status === 'up' && candidate.users < candidate.maxUsers && candidate.id !== view?.server?.id,
        )) {
          keyboard.text(`#${server.id} ${server.name} ${server.users}/${server.maxUsers}`, adm('mvt', data.a, server.id)).row();
        }
        return showScreen(ctx, 'reply', texts.movePick(data.a), backRow(ctx, keyboard));
      }
      case 'mvt': {
        if (operator === undefined) return;
        const toServerId = Number.isSafeInteger(data.b) && data.b > 0 ? data.b : undefined;
        const result = await operator.move({ subscriptionId: data.a, ...(toServerId === undefined ? {} : { toServerId }), ...request });
        return showScreen(
          ctx,
          'edit',
          changeOutcome(texts, result, ({ serverId }) => texts.moved(data.a, serverId)),
          backRow(ctx),
        );
      }
      case 'cn':
        return showScreen(
          ctx,
          'reply',
          texts.cancelConfirm(data.a),
          backRow(ctx, new InlineKeyboard().text(texts.buttons.confirm, adm('cny', data.a))),
        );
      case 'cny': {
        if (operator === undefined) return;
        const result = await operator.cancel({ subscriptionId: data.a, ...request });
        return showScreen(
          ctx,
          'edit',
          changeOutcome(texts, result, ({ phase }) => texts.cancelled(data.a, phase)),
          backRow(ctx),
        );
      }
      case 'bal': {
        const card = await deps.console?.userCard(data.a);
        if (card === null || card === undefined) return showScreen(ctx, 'reply', texts.noSuchUser, backRow(ctx));
        deps.inputs.set(chatId, { kind: 'balance', userId: card.userId, telegramId: card.telegramId });
        return showScreen(ctx, 'reply', texts.balancePrompt(card.telegramId), backRow(ctx));
      }
      case 'key': {
        const key = await deps.console?.keyToResend(data.a);
        if (key === null || key === undefined) return showScreen(ctx, 'reply', texts.noKey(data.a), backRow(ctx));
        const userTexts = adminTextsOf(pickLocale(key.languageCode ?? undefined));
        const url = deps.publicBaseUrl === undefined ? undefined : `${deps.publicBaseUrl}/sub/${key.subToken}`;
        await ctx.api.sendMessage(key.telegramId, userTexts.resentKeyMessage(key.vpnKey, url), {
          link_preview_options: { is_disabled: true },
        });
        await deps.console?.recordOperatorAction({
          action: 'subscription.key_resent',
          operatorTelegramId: ctx.from.id,
          subscriptionId: data.a,
          userId: key.userId,
        });
        deps.log.info({ subscriptionId: data.a, operatorTelegramId: ctx.from.id }, 'key resent by an operator');
        return showScreen(ctx, 'reply', texts.keyResent(data.a), backRow(ctx));
      }
    }
    return next();
  });

  gated.on('message:text', async (ctx, next) => {
    const pending = deps.inputs.get(ctx.chat.id);
    const texts = at(ctx);
    const request = { operatorTelegramId: ctx.from.id, requestId: `tg-${ctx.update.update_id}` };
    if (pending?.kind === 'find') {
      if (deps.console === undefined) return ctx.reply(texts.unavailable);
      const query = ctx.message.text.trim().slice(0, 200);
      const found = await deps.console.findUsers(query);
      const [only] = found;
      if (only === undefined) {
        await ctx.reply(texts.findNothing(query), { reply_markup: backRow(ctx) });
        return;
      }
      deps.inputs.clear(ctx.chat.id);
      if (found.length === 1) return showCard(ctx, only.userId, 'reply');
      const keyboard = new InlineKeyboard();
      for (const user of found) keyboard.text(texts.foundUserButton(user), adm('u', user.userId)).row();
      await ctx.reply(texts.findMany(found.length), { reply_markup: backRow(ctx, keyboard) });
      return;
    }
    if (pending?.kind === 'extend') {
      const days = parseDays(ctx.message.text);
      if (days === null) {
        await ctx.reply(texts.badDays, { reply_markup: backRow(ctx) });
        return;
      }
      if (deps.operator === undefined) return ctx.reply(texts.unavailable);
      deps.inputs.clear(ctx.chat.id);
      const result = await deps.operator.extend({ subscriptionId: pending.subscriptionId, days, ...request });
      await ctx.reply(
        changeOutcome(texts, result, ({ endsAt }) => texts.extended(pending.subscriptionId, endsAt)),
        { reply_markup: backRow(ctx) },
      );
      return;
    }
    if (pending?.kind === 'balance') {
      const adjustment = parseBalanceAdjustment(ctx.message.text);
      if (adjustment === null) {
        await ctx.reply(texts.badBalance, { reply_markup: backRow(ctx) });
        return;
      }
      if (deps.console === undefined) return ctx.reply(texts.unavailable);
      deps.inputs.clear(ctx.chat.id);
      const result = await deps.console.adjustBalance({ userId: pending.userId, ...adjustment, ...request });
      const text = result.ok
        ? texts.balanceAdjusted(result.balanceKopecks)
        : result.reason === 'insufficient-balance'
          ? texts.balanceInsufficient
          : texts.noSuchUser;
      await ctx.reply(text, {
        reply_markup: backRow(ctx, new InlineKeyboard().text(texts.buttons.openUser(pending.telegramId), adm('u', pending.userId))),
      });
      return;
    }
    return next();
  });
  return feature;
}
