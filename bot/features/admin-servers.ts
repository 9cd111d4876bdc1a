/**
 * The console's servers: the list with load, health, last error and traffic; one server's screen
 * with test, close, open, re-open and edit; adding a server. Everything goes through the servers
 * service (usecases/servers-service.ts) acting as the operator, which validates, tests the panel
 * and audits; a panel password typed into the chat is deleted from it once read.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import { showScreen } from '../show-screen';
import { AppError } from '../../lib/errors';
import type { AddServerInput } from '../../usecases/servers-service';
import { adm, answers, at, backRow, operatorOnly, parseAdminCallback, pressed, type AdminDeps } from './admin-common';

const VERBS = ['srv', 's', 'st', 'sd', 'se', 'sr', 'sedit', 'sadd'];

/** A new server typed as `name panel_url web_base_path username password inbound_id [host:port] [max_users]`. */
export function parseServerAdd(text: string): AddServerInput | string {
  const words = text.trim().split(/\s+/);
  if (words.length < 6 || words.length > 8) return 'expected 6 to 8 fields';
  const [name = '', panelUrl = '', basePath = '', username = '', password = '', inbound = '', ...rest] = words;
  if (!/^\d{1,9}$/.test(inbound)) return 'inbound_id must be a number';
  let endpoint: string | undefined;
  let maxUsers: number | undefined;
  for (const word of rest) {
    if (/^\d{1,7}$/.test(word) && maxUsers === undefined) maxUsers = Number(word);
    else if (word.includes(':') && endpoint === undefined) endpoint = word;
    else return `cannot read “${word}”`;
  }
  return {
    name,
    access: { panelUrl, webBasePath: basePath === '-' ? '' : basePath, username, password },
    inboundId: Number(inbound),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(maxUsers === undefined ? {} : { maxUsers }),
  };
}

/** `key=value` changes of a server: name, location, endpoint, max_users. */
export function parseServerEdit(text: string): { name?: string; location?: string; endpoint?: string; maxUsers?: number } | string {
  const changes: { name?: string; location?: string; endpoint?: string; maxUsers?: number } = {};
  for (const pair of text.trim().split(/\s+/)) {
    const [key, ...valueParts] = pair.split('=');
    const value = valueParts.join('=');
    if (value === '') return `“${pair}” is not key=value`;
    if (key === 'name') changes.name = value;
    else if (key === 'location') changes.location = value;
    else if (key === 'endpoint') changes.endpoint = value;
    else if (key === 'max_users' && /^\d{1,7}$/.test(value) && Number(value) > 0) changes.maxUsers = Number(value);
    else return `unknown or invalid “${pair}” (name, location, endpoint, max_users)`;
  }
  return Object.keys(changes).length === 0 ? 'nothing to change' : changes;
}

/** A refusal of the servers service as the operator reads it. */
const refusal = (error: unknown): string | null => (error instanceof AppError && !error.retryable ? error.message : null);

/** Server management. */
export function adminServersFeature(deps: AdminDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const pendingKind = (ctx: BotContext) => answers(deps, ctx, ['server-add', 'server-edit']);
  const gated = operatorOnly(feature, deps, (ctx) => pressed(...VERBS)(ctx) || pendingKind(ctx));

  /** Server `id`'s screen with its buttons. */
  async function showServer(ctx: BotContext, serverId: number, mode: 'reply' | 'edit', prefix?: string): Promise<void> {
    const texts = at(ctx);
    if (deps.servers === undefined) return showScreen(ctx, mode, texts.unavailable, backRow(ctx));
    const server = await deps.servers(ctx.from?.id ?? 0).show(serverId);
    const traffic = (await deps.console?.serverTraffic())?.get(serverId) ?? 0;
    const b = texts.buttons;
    const keyboard = new InlineKeyboard()
      .text(b.test, adm('st', serverId))
      .text(server.open ? b.disable : b.enable, adm(server.open ? 'sd' : 'se', serverId))
      .row()
      .text(b.reopen, adm('sr', serverId))
      .text(b.edit, adm('sedit', serverId))
      .row()
      .text(b.servers, adm('srv'));
    const body = texts.server(server, traffic);
    return showScreen(ctx, mode, prefix === undefined ? body : `${prefix}\n\n${body}`, backRow(ctx, keyboard));
  }

  gated.on('callback_query:data', async (ctx, next) => {
    const data = parseAdminCallback(ctx.callbackQuery.data);
    if (data === null || !VERBS.includes(data.verb)) return next();
    await ctx.answerCallbackQuery();
    const texts = at(ctx);
    if (deps.servers === undefined) return showScreen(ctx, 'edit', texts.unavailable, backRow(ctx));
    const servers = deps.servers(ctx.from.id);
    const chatId = ctx.chat?.id ?? ctx.from.id;
    try {
      switch (data.verb) {
        case 'srv': {
          const list = await servers.list();
          const traffic = (await deps.console?.serverTraffic()) ?? new Map<number, number>();
          const keyboard = new InlineKeyboard();
          for (const server of list) keyboard.text(`#${server.id} ${server.name}`, adm('s', server.id)).row();
          keyboard.text(texts.buttons.addServer, adm('sadd'));
          const lines = texts.servers(list);
          const trafficLine =
            list.length === 0
              ? ''
              : `\n\n${list.map((server) => `#${server.id}: ${((traffic.get(server.id) ?? 0) / 1024 ** 3).toFixed(1)} GB`).join(', ')}`;
          return await showScreen(ctx, 'edit', `${lines}${trafficLine}`, backRow(ctx, keyboard));
        }
        case 's':
          return await showServer(ctx, data.a, ctx.chat?.type === 'private' ? 'edit' : 'reply');
        case 'st':
          return await showServer(ctx, data.a, 'edit', texts.serverTest(await servers.testServer(data.a)));
        case 'sd': {
          const row = await servers.disable(data.a);
          return await showServer(ctx, data.a, 'edit', texts.serverChanged(row.name, false));
        }
        case 'se': {
          const row = await servers.enable(data.a);
          return await showServer(ctx, data.a, 'edit', texts.serverChanged(row.name, true));
        }
        case 'sr': {
          const result = await servers.reopen(data.a);
          return await showServer(
            ctx,
            data.a,
            'edit',
            result.reopened ? texts.serverChanged(result.server.name, true) : texts.serverReopenRefused(result.reason ?? ''),
          );
        }
        case 'sedit':
          deps.inputs.set(chatId, { kind: 'server-edit', serverId: data.a });
          return await showScreen(ctx, 'reply', texts.serverEditPrompt(data.a), backRow(ctx));
        case 'sadd':
          deps.inputs.set(chatId, { kind: 'server-add' });
          return await showScreen(ctx, 'reply', texts.serverAddPrompt, backRow(ctx));
      }
    } catch (error) {
      const message = refusal(error);
      if (message === null) throw error;
      return showScreen(ctx, 'reply', texts.serverError(message), backRow(ctx));
    }
    return next();
  });

  gated.on('message:text', async (ctx, next) => {
    const pending = deps.inputs.get(ctx.chat.id);
    const texts = at(ctx);
    if ((pending?.kind !== 'server-add' && pending?.kind !== 'server-edit') || deps.servers === undefined) return next();
    const servers = deps.servers(ctx.from.id);
    try {
      if (pending.kind === 'server-add') {
        // The message holds a panel password: take it out of the chat before anything else.
        await ctx.deleteMessage().catch((error: unknown) => deps.log.warn({ error: String(error) }, 'could not delete the server message'));
        const input = parseServerAdd(ctx.message.text);
        if (typeof input === 'string') {
          await ctx.reply(texts.badServerInput(input), { reply_markup: backRow(ctx) });
          return;
        }
        const { server } = await servers.add(input);
        deps.inputs.clear(ctx.chat.id);
        await showServer(ctx, server.id, 'reply', texts.serverAdded(server.id, server.name));
        return;
      }
      const changes = parseServerEdit(ctx.message.text);
      if (typeof changes === 'string') {
        await ctx.reply(texts.badServerInput(changes), { reply_markup: backRow(ctx) });
        return;
      }
      await servers.edit(pending.serverId, changes);
      deps.inputs.clear(ctx.chat.id);
      await showServer(ctx, pending.serverId, 'reply');
    } catch (error) {
      const message = refusal(error);
      if (message === null) throw error;
      await ctx.reply(texts.serverError(message), { reply_markup: backRow(ctx) });
    }
  });
  return feature;
}
