/**
 * The operator console (/admin): the menu, stats with the revenue chart, maintenance mode,
 * backups, broadcasts and promo codes. Users and servers have their own features
 * (admin-users.ts, admin-servers.ts); all three sit behind the same operator gate.
 */
import { Composer, InlineKeyboard, InputFile } from 'grammy';
import type { BotContext } from '../bot-context';
import { showScreen } from '../show-screen';
import { BROADCAST_AUDIENCES, type BroadcastAudience } from '../../usecases/broadcasts';
import { revenueChartPng } from '../../usecases/operator-stats';
import { adm, answers, at, backRow, operatorOnly, parseAdminCallback, pressed, type AdminDeps } from './admin-common';
import { parsePromo } from './admin-input';

/** The console's main menu. */
export function adminMenuKeyboard(ctx: BotContext): InlineKeyboard {
  const b = at(ctx).buttons;
  return new InlineKeyboard()
    .text(b.stats, adm('stats'))
    .text(b.findUser, adm('find'))
    .row()
    .text(b.servers, adm('srv'))
    .text(b.promos, adm('promo'))
    .row()
    .text(b.broadcast, adm('bc'))
    .text(b.maintenance, adm('mt'))
    .row()
    .text(b.backups, adm('bk'));
}

const VERBS = ['menu', 'stats', 'mt', 'mt1', 'mt0', 'bk', 'bkn', 'bc', 'bca', 'bcy', 'bcn', 'bcp', 'bcx', 'promo', 'pnew', 'pd'];

/** The console menu and its screens except users and servers. */
export function adminConsoleFeature(deps: AdminDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const isCommand = (ctx: BotContext) => ctx.message?.text !== undefined && /^\/admin(@\w+)?(\s|$)/.test(ctx.message.text);
  const pendingKind = (ctx: BotContext, ...kinds: string[]) => answers(deps, ctx, kinds);
  const gated = operatorOnly(
    feature,
    deps,
    (ctx) => isCommand(ctx) || pressed(...VERBS)(ctx) || pendingKind(ctx, 'broadcast-text', 'promo'),
  );

  const menu = (ctx: BotContext, mode: 'reply' | 'edit') => showScreen(ctx, mode, at(ctx).menuTitle, adminMenuKeyboard(ctx));
  const unavailable = (ctx: BotContext) => showScreen(ctx, 'edit', at(ctx).unavailable, backRow(ctx));

  gated.command('admin', async (ctx) => {
    if (ctx.chat !== undefined) deps.inputs.clear(ctx.chat.id);
    await menu(ctx, 'reply');
  });

  gated.on('callback_query:data', async (ctx, next) => {
    const data = parseAdminCallback(ctx.callbackQuery.data);
    if (data === null || !VERBS.includes(data.verb)) return next();
    await ctx.answerCallbackQuery();
    const texts = at(ctx);
    const operatorTelegramId = ctx.from.id;
    const chatId = ctx.chat?.id ?? ctx.from.id;
    switch (data.verb) {
      case 'menu':
        deps.inputs.clear(chatId);
        return menu(ctx, 'edit');

      case 'stats': {
        if (deps.stats === undefined) return unavailable(ctx);
        const stats = await deps.stats.stats({ days: data.a === 30 ? 30 : 14 });
        const period = new InlineKeyboard().text(texts.buttons.days(14), adm('stats', 14)).text(texts.buttons.days(30), adm('stats', 30));
        await ctx.reply(texts.stats(stats), { reply_markup: backRow(ctx, period) });
        await ctx.replyWithPhoto(new InputFile(revenueChartPng(stats), 'revenue.png'), { caption: texts.statsChartCaption(stats.days) });
        return;
      }

      case 'mt':
      case 'mt1':
      case 'mt0': {
        if (deps.maintenance === undefined) return unavailable(ctx);
        const state =
          data.verb === 'mt'
            ? await deps.maintenance.maintenanceState()
            : await deps.maintenance.setMaintenance({ on: data.verb === 'mt1', operatorTelegramId });
        const keyboard = new InlineKeyboard().text(
          state.manual.on ? texts.buttons.maintenanceOff : texts.buttons.maintenanceOn,
          adm(state.manual.on ? 'mt0' : 'mt1'),
        );
        return showScreen(ctx, 'edit', texts.maintenance(state), backRow(ctx, keyboard));
      }

      case 'bk':
      case 'bkn': {
        if (deps.backups === undefined) return unavailable(ctx);
        const keyboard = new InlineKeyboard().text(texts.buttons.backupNow, adm('bkn'));
        if (data.verb === 'bkn') {
          const started = await deps.backups.backupNow();
          if (started) await deps.console?.recordOperatorAction({ action: 'backup.requested', operatorTelegramId });
          return showScreen(ctx, 'edit', started ? texts.backupStarted : texts.backupsOff, backRow(ctx, keyboard));
        }
        return showScreen(ctx, 'edit', texts.backups(await deps.backups.listBackups()), backRow(ctx, keyboard));
      }

      case 'bc': {
        if (deps.broadcasts === undefined) return unavailable(ctx);
        const running = await deps.broadcasts.runningBroadcast();
        if (running !== null) return showProgress(ctx, running.broadcastId);
        const keyboard = new InlineKeyboard();
        BROADCAST_AUDIENCES.forEach((audience, index) => {
          keyboard.text(texts.buttons.audience[audience], adm('bca', index));
          if (index % 2 === 1) keyboard.row();
        });
        return showScreen(ctx, 'edit', texts.broadcastPickAudience, backRow(ctx, keyboard));
      }
      case 'bca': {
        const audience: BroadcastAudience | undefined = BROADCAST_AUDIENCES[data.a];
        if (audience === undefined || deps.broadcasts === undefined) return unavailable(ctx);
        deps.inputs.set(chatId, { kind: 'broadcast-text', audience });
        return showScreen(ctx, 'edit', texts.broadcastPrompt(audience), backRow(ctx));
      }
      case 'bcy': {
        const pending = deps.inputs.get(chatId);
        if (deps.broadcasts === undefined) return unavailable(ctx);
        if (pending?.kind !== 'broadcast-confirm') return showScreen(ctx, 'edit', texts.broadcastNothingPending, backRow(ctx));
        // One broadcast per preview message: a second press of the same confirm joins the first.
        const requestKey = `bc-${chatId}-${ctx.callbackQuery.message?.message_id ?? ctx.update.update_id}`;
        const started = await deps.broadcasts.startBroadcast({
          audience: pending.audience,
          text: pending.text,
          operatorTelegramId,
          requestKey,
        });
        deps.inputs.clear(chatId);
        if (started.kind === 'refused') return showScreen(ctx, 'edit', texts.broadcastRefused[started.reason], backRow(ctx));
        await showScreen(ctx, 'edit', texts.broadcastStarted(started.broadcastId, started.recipients));
        return showProgress(ctx, started.broadcastId, 'reply');
      }
      case 'bcn':
        deps.inputs.clear(chatId);
        return showScreen(ctx, 'edit', texts.broadcastAborted, backRow(ctx));
      case 'bcp':
        return showProgress(ctx, data.a);
      case 'bcx': {
        if (deps.broadcasts === undefined) return unavailable(ctx);
        await deps.broadcasts.cancelBroadcast({ broadcastId: data.a, operatorTelegramId });
        await ctx.reply(texts.broadcastCancelled(data.a));
        return showProgress(ctx, data.a, 'reply');
      }

      case 'promo': {
        if (deps.console === undefined) return unavailable(ctx);
        const promos = await deps.console.listPromos();
        const keyboard = new InlineKeyboard().text(texts.buttons.newPromo, adm('pnew')).row();
        for (const promo of promos.filter((candidate) => candidate.is_active).slice(0, 10))
          keyboard.text(texts.buttons.disablePromo(promo.code), adm('pd', promo.id)).row();
        return showScreen(ctx, 'edit', texts.promos(promos), backRow(ctx, keyboard));
      }
      case 'pnew':
        if (deps.console === undefined) return unavailable(ctx);
        deps.inputs.set(chatId, { kind: 'promo' });
        return showScreen(ctx, 'edit', texts.promoPrompt, backRow(ctx));
      case 'pd': {
        if (deps.console === undefined || !Number.isSafeInteger(data.a)) return unavailable(ctx);
        const promo = (await deps.console.listPromos()).find((candidate) => candidate.id === data.a);
        await deps.console.disablePromo({ promoCodeId: data.a, operatorTelegramId });
        return showScreen(
          ctx,
          'edit',
          texts.promoDisabled(promo?.code ?? `#${data.a}`),
          backRow(ctx, new InlineKeyboard().text(texts.buttons.promos, adm('promo'))),
        );
      }
    }
    return next();
  });

  /** The progress of broadcast `id` with Refresh and Stop buttons. */
  async function showProgress(ctx: BotContext, broadcastId: number, mode: 'reply' | 'edit' = 'edit'): Promise<void> {
    const texts = at(ctx);
    const progress =
      deps.broadcasts === undefined || !Number.isSafeInteger(broadcastId) ? null : await deps.broadcasts.broadcastProgress(broadcastId);
    if (progress === null) return showScreen(ctx, mode, texts.broadcastNothingPending, backRow(ctx));
    const keyboard = new InlineKeyboard().text(texts.buttons.refresh, adm('bcp', broadcastId));
    if (progress.status === 'running') keyboard.text(texts.buttons.cancelBroadcast, adm('bcx', broadcastId));
    return showScreen(ctx, mode, texts.broadcastProgress(progress), backRow(ctx, keyboard));
  }

  gated.on('message:text', async (ctx, next) => {
    const pending = deps.inputs.get(ctx.chat.id);
    const texts = at(ctx);
    if (pending?.kind === 'broadcast-text' && deps.broadcasts !== undefined) {
      const preview = await deps.broadcasts.previewBroadcast({ audience: pending.audience, text: ctx.message.text });
      if (preview.refusal !== undefined) {
        await ctx.reply(texts.broadcastRefused[preview.refusal], { reply_markup: backRow(ctx) });
        return;
      }
      deps.inputs.set(ctx.chat.id, { kind: 'broadcast-confirm', audience: preview.audience, text: preview.text });
      await ctx.reply(texts.broadcastPreview(preview.audience, preview.recipients, preview.text), {
        reply_markup: new InlineKeyboard().text(texts.buttons.confirm, adm('bcy')).text(texts.buttons.abort, adm('bcn')),
      });
      return;
    }
    if (pending?.kind === 'promo' && deps.console !== undefined) {
      const parsed = parsePromo(ctx.message.text, new Date());
      if (parsed === null) {
        await ctx.reply(texts.badPromo, { reply_markup: backRow(ctx) });
        return;
      }
      const created = await deps.console.createPromo({ ...parsed, operatorTelegramId: ctx.from.id });
      if (!created.ok) {
        await ctx.reply(created.reason === 'exists' ? texts.promoExists(parsed.code) : texts.badPromo, { reply_markup: backRow(ctx) });
        return;
      }
      deps.inputs.clear(ctx.chat.id);
      await ctx.reply(texts.promoCreated(created.promo), {
        reply_markup: backRow(ctx, new InlineKeyboard().text(texts.buttons.promos, adm('promo'))),
      });
      return;
    }
    return next();
  });
  return feature;
}
