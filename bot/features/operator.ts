import { Composer } from 'grammy';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import type { BotTexts, Locale } from '../locales';
import { adminTextsOf } from './admin-common';
import type { OperatorActions, OperatorResult } from '../../usecases/operator-types';

/** Operator commands, each with its usage text in `texts.operator.usage`. */
export const OPERATOR_COMMANDS = ['sub', 'extend', 'refund', 'move', 'cancel', 'user', 'invariants'] as const;

/** One operator command. */
export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

/** A database id (int4). */
const id = z
  .string()
  .regex(/^[1-9]\d{0,9}$/)
  .transform(Number)
  .refine((value) => value <= 2_147_483_647);
/** A Telegram user id (positive, below 2^53). */
const telegramId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number)
  .refine((value) => Number.isSafeInteger(value));
/** Whole days; the workflow's validator checks the range and its message reaches the operator. */
const days = z
  .string()
  .regex(/^\d{1,6}$/)
  .transform(Number);

/** Argument schemas: the words after the command. */
export const operatorArgs = {
  sub: z.tuple([id]).transform(([subscriptionId]) => ({ subscriptionId })),
  extend: z.tuple([id, days]).transform(([subscriptionId, count]) => ({ subscriptionId, days: count })),
  refund: z.tuple([id, id]).transform(([subscriptionId, paymentId]) => ({ subscriptionId, paymentId })),
  move: z
    .union([z.tuple([id]), z.tuple([id, id])])
    .transform(([subscriptionId, toServerId]) => ({ subscriptionId, ...(toServerId === undefined ? {} : { toServerId }) })),
  cancel: z.tuple([id]).transform(([subscriptionId]) => ({ subscriptionId })),
  user: z.tuple([telegramId]).transform(([value]) => ({ telegramId: value })),
  invariants: z.tuple([]).transform(() => ({})),
} satisfies Record<OperatorCommand, z.ZodType<unknown, string[]>>;

/** The words of a command's argument text. */
export function argumentWords(match: string): string[] {
  return match.split(/\s+/).filter((word) => word !== '');
}

/** What the operator reads for a change's outcome (a known refusal in the operator's language). */
function outcome<T>(texts: BotTexts, result: OperatorResult<T>, done: (value: T) => string, locale: Locale): string {
  if (result.ok) return done(result.value);
  if (!result.ok && result.reason === 'rejected' && result.code !== undefined) return adminTextsOf(locale).refusal[result.code];
  switch (result.reason) {
    case 'no-workflow':
      return texts.operator.noWorkflow;
    case 'timeout':
      return texts.operator.timeout;
    case 'rejected':
      return texts.operator.rejected(result.message);
  }
}

/** What operator commands use: who is an admin, and the operator actions (absent: not configured). */
export interface OperatorFeatureDeps {
  services: Pick<BotServices, 'isAdmin'>;
  operator?: OperatorActions | undefined;
  log: Logger;
}

/**
 * Operator (admin) commands in private chats, only for `services.isAdmin` users; everyone else
 * is told politely that they are not allowed, before the arguments are even read. Arguments are
 * validated with zod and malformed ones get the command's usage. Changes go through the
 * subscription workflow (`deps.operator`) with `requestId = tg-<update_id>`, so a redelivered
 * Telegram update applies once; the bot itself writes nothing.
 */
export function operatorFeature(deps: OperatorFeatureDeps): Composer<BotContext> {
  const { log } = deps;
  const feature = new Composer<BotContext>();
  const privateChat = feature.chatType('private');

  function command<N extends OperatorCommand>(
    name: N,
    run: (input: {
      ctx: BotContext;
      operator: OperatorActions;
      args: z.output<(typeof operatorArgs)[N]>;
      request: { operatorTelegramId: number; requestId: string };
    }) => Promise<string>,
  ): void {
    privateChat.command(name, async (ctx) => {
      if (!(await deps.services.isAdmin(ctx.from.id))) {
        log.warn({ command: name, telegramId: ctx.from.id }, 'operator command refused: not an admin');
        await ctx.reply(ctx.texts.operator.notAllowed);
        return;
      }
      if (deps.operator === undefined) {
        await ctx.reply(ctx.texts.operator.unavailable);
        return;
      }
      const parsed = operatorArgs[name].safeParse(argumentWords(ctx.match));
      if (!parsed.success) {
        await ctx.reply(ctx.texts.operator.usage[name]);
        return;
      }
      const request = { operatorTelegramId: ctx.from.id, requestId: `tg-${ctx.update.update_id}` };
      log.info({ command: name, operatorTelegramId: ctx.from.id, requestId: request.requestId, args: parsed.data }, 'operator command');
      const text = await run({ ctx, operator: deps.operator, args: parsed.data as z.output<(typeof operatorArgs)[N]>, request });
      await ctx.reply(text, { link_preview_options: { is_disabled: true } });
    });
  }

  command('sub', async ({ ctx, operator, args }) => {
    const view = await operator.describeSubscription(args.subscriptionId);
    return view === null ? ctx.texts.operator.noSubscription(args.subscriptionId) : ctx.texts.operator.subscription(view);
  });

  command('user', async ({ ctx, operator, args }) => {
    const view = await operator.describeUser(args.telegramId);
    return view === null ? ctx.texts.operator.noUser(args.telegramId) : ctx.texts.operator.user(view);
  });

  command('extend', async ({ ctx, operator, args, request }) => {
    const result = await operator.extend({ ...request, ...args });
    return outcome(ctx.texts, result, ({ endsAt }) => ctx.texts.operator.extended(args.subscriptionId, endsAt), ctx.locale);
  });

  command('refund', async ({ ctx, operator, args, request }) => {
    const result = await operator.refund({ ...request, ...args });
    return outcome(ctx.texts, result, ({ amountKopecks }) => ctx.texts.operator.refunded(args.subscriptionId, amountKopecks), ctx.locale);
  });

  command('move', async ({ ctx, operator, args, request }) => {
    const result = await operator.move({ ...request, ...args });
    return outcome(ctx.texts, result, ({ serverId }) => ctx.texts.operator.moved(args.subscriptionId, serverId), ctx.locale);
  });

  command('cancel', async ({ ctx, operator, args, request }) => {
    const result = await operator.cancel({ ...request, ...args });
    return outcome(ctx.texts, result, ({ phase }) => ctx.texts.operator.cancelled(args.subscriptionId, phase), ctx.locale);
  });

  command('invariants', async ({ ctx, operator, request }) => {
    if (operator.checkInvariants === undefined) return ctx.texts.operator.unavailable;
    const result = await operator.checkInvariants(request);
    return outcome(ctx.texts, result, (report) => ctx.texts.operator.invariants(report), ctx.locale);
  });
  return feature;
}
