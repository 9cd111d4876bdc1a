/**
 * What the operator console's features share: their dependencies, the texts in the operator's
 * language, the operator gate and the callback-data format (`adm:<verb>[:<id>[:<id>]]`, which the
 * alert buttons of activities/alert-text.ts also use).
 */
import { Composer, InlineKeyboard, type Filter } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from '../bot-context';
import { adminEn, type AdminTexts } from '../locales/admin-en';
import { adminRu } from '../locales/admin-ru';
import type { Locale } from '../locales';
import type { BackupService } from '../../usecases/backups';
import type { BroadcastService } from '../../usecases/broadcasts';
import type { MaintenanceService } from '../../usecases/maintenance';
import type { OperatorConsole } from '../../usecases/operator-console';
import type { OperatorStatsService } from '../../usecases/operator-stats';
import type { OperatorActions, OperatorResult } from '../../usecases/operator-types';
import type { Refunds } from '../../usecases/refund-payment';
import type { ServersService } from '../../usecases/servers-service';
import type { AdminInputs } from './admin-input';

/** The server operations the console offers. */
export type AdminServers = Pick<ServersService, 'list' | 'show' | 'testServer' | 'add' | 'edit' | 'disable' | 'enable' | 'reopen'>;

/** What the console uses; each part it lacks answers "not configured". */
export interface AdminDeps {
  isAdmin(telegramId: number): Promise<boolean>;
  log: Logger;
  inputs: AdminInputs;
  operator?: OperatorActions | undefined;
  console?: OperatorConsole | undefined;
  stats?: OperatorStatsService | undefined;
  maintenance?: MaintenanceService | undefined;
  broadcasts?: BroadcastService | undefined;
  backups?: BackupService | undefined;
  /** The servers service acting as this operator (its audit rows name them). */
  servers?: ((operatorTelegramId: number) => AdminServers) | undefined;
  /** Refunds by payment method (journeys); without it a refund goes to the balance through the workflow. */
  refunds?: Refunds | undefined;
  /** `https://host` of the `/sub/<token>` links, for a resent key. */
  publicBaseUrl?: string | undefined;
}

const TEXTS: Readonly<Record<Locale, AdminTexts>> = { en: adminEn, ru: adminRu };

/** The console texts in a locale. */
export const adminTextsOf = (locale: Locale): AdminTexts => TEXTS[locale];

/** The console texts in the operator's language. */
export const at = (ctx: BotContext): AdminTexts => TEXTS[ctx.locale];

/** The prefix of every console button's callback data. */
export const ADMIN_PREFIX = 'adm:';

/** Callback data of a console button. */
export const adm = (verb: string, ...ids: Array<number | string>): string => [`adm`, verb, ...ids.map(String)].join(':');

/** A console callback: `adm:<verb>[:<a>[:<b>]]`, ids as numbers (NaN when not numeric). */
export function parseAdminCallback(data: string): { verb: string; a: number; b: number; raw: string[] } | null {
  const parts = data.split(':');
  if (parts[0] !== 'adm' || parts.length < 2 || parts.length > 4) return null;
  const [, verb = '', a = '', b = ''] = parts;
  return { verb, a: /^\d{1,12}$/.test(a) ? Number(a) : Number.NaN, b: /^\d{1,12}$/.test(b) ? Number(b) : Number.NaN, raw: parts.slice(2) };
}

/** The "« Console" button row. */
export const backRow = (ctx: BotContext, keyboard = new InlineKeyboard()): InlineKeyboard =>
  keyboard.row().text(at(ctx).buttons.back, adm('menu'));

/** Private-chat updates of the console: the /admin command, `adm:` buttons, answers to its prompts. */
export type AdminTrigger = Filter<BotContext, 'message' | 'callback_query:data'>;

/**
 * The operator gate in front of a console feature: its triggers (commands, `adm:` buttons)
 * reach the feature only for operators; anyone else gets a polite refusal in their language and
 * nothing is read or changed. Commands and typed answers count in private chats only; buttons
 * anywhere (an alert's buttons are pressed in the operators' group chat and answer there). Returns the composer the feature registers its handlers on.
 */
export function operatorOnly(
  feature: Composer<BotContext>,
  deps: Pick<AdminDeps, 'isAdmin' | 'log'>,
  isTrigger: (ctx: BotContext) => boolean,
): Composer<BotContext> {
  const gated = new Composer<BotContext>();
  feature
    .filter((ctx) => (ctx.callbackQuery !== undefined || ctx.chat?.type === 'private') && isTrigger(ctx))
    .use(async (ctx, next) => {
      if (ctx.from !== undefined && (await deps.isAdmin(ctx.from.id))) {
        await next();
        return;
      }
      deps.log.warn({ telegramId: ctx.from?.id, data: ctx.callbackQuery?.data }, 'operator console refused: not an operator');
      if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery({ text: at(ctx).notAllowed, show_alert: true });
      else await ctx.reply(at(ctx).notAllowed);
    }, gated);
  return gated;
}

/** Whether the update is a press of a console button whose verb is one of `verbs`. */
export const pressed =
  (...verbs: string[]) =>
  (ctx: BotContext): boolean => {
    const data = ctx.callbackQuery?.data;
    if (data === undefined || !data.startsWith(ADMIN_PREFIX)) return false;
    const parsed = parseAdminCallback(data);
    return parsed !== null && verbs.includes(parsed.verb);
  };

/**
 * Whether the update is a typed answer to a pending console question of one of `kinds` in this
 * chat. A command is never an answer (the operator left the question: /admin clears it).
 */
export function answers(deps: Pick<AdminDeps, 'inputs'>, ctx: BotContext, kinds: readonly string[]): boolean {
  const text = ctx.message?.text;
  if (text === undefined || text.startsWith('/') || ctx.chat === undefined) return false;
  return kinds.includes(deps.inputs.get(ctx.chat.id)?.kind ?? '');
}

/** The operator's words for a refused or failed subscription change. */
export function changeOutcome<T>(texts: AdminTexts, result: OperatorResult<T>, done: (value: T) => string): string {
  if (result.ok) return done(result.value);
  switch (result.reason) {
    case 'no-workflow':
      return texts.noWorkflow;
    case 'timeout':
      return texts.timeout;
    case 'rejected':
      return result.code === undefined ? texts.rejected(result.message) : texts.refusal[result.code];
  }
}
