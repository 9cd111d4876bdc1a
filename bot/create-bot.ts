import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import { Bot } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from './bot-context';
import type { BotServices } from './bot-services';
import { describeError } from './describe-error';
import { pickLocale, type LocaleTexts } from './locales';
import type { OperatorActions } from '../usecases/operator-types';
import { renderQrPng } from '../lib/xui/render-qr';
import { autoRenewFeature } from './features/auto-renew';
import { balanceFeature } from './features/balance';
import { languageFeature } from './features/language';
import { groupChatFeature, menuFeature, unknownInputFeature } from './features/menu';
import { subscriptionScreenFeature } from './features/subscription-screen';
import { supportFeature } from './features/support';
import { helpFeature } from './features/help';
import { operatorFeature } from './features/operator';
import { promoFeature } from './features/promo';
import { purchaseFeature } from './features/purchase';
import { staleButtonsFeature } from './features/stale-buttons';
import { starsCheckoutFeature } from './features/stars-checkout';
import { startFeature } from './features/start';
import { subscriptionsFeature } from './features/subscriptions';
import { trialFeature } from './features/trial';
import type { AdminDeps } from './features/admin-common';
import { adminConsoleFeature } from './features/admin-console';
import { createMemoryAdminInputs } from './features/admin-input';
import { adminServersFeature } from './features/admin-servers';
import { adminUsersFeature } from './features/admin-users';
import { sellingGuardFeature } from './features/admin-selling-guard';
import { reachableAgainFeature } from './features/admin-reachable';

/** Dependencies of {@link createBot}. */
export interface BotDeps {
  /** Bot token. Never logged. */
  token: string;
  /** Bot API base URL without a trailing slash; default `https://api.telegram.org`. */
  apiRoot?: string;
  /** Process logger; the bot logs under `component: 'bot'`. */
  logger: Logger;
  /** Texts by locale, usually `defaultTexts` from `./locales`. */
  texts: LocaleTexts;
  services: BotServices;
  /** Operator commands (usecases/operator-actions.ts); without it admins are told they are not configured. */
  operator?: OperatorActions | undefined;
  /**
   * The operator console's services (/admin: stats, maintenance, broadcasts, backups, servers,
   * users, promo codes, refunds); each one absent answers "not configured". The maintenance
   * service also guards checkouts (isSelling) for everyone.
   */
  admin?: Omit<AdminDeps, 'isAdmin' | 'log' | 'inputs' | 'operator'> & { inputs?: AdminDeps['inputs'] };
  /** Shown by /paysupport, e.g. `@vpn_support`; without it users are asked to write in the chat. */
  supportContact?: string;
  /** The operators' chat that receives users' support messages (SUPPORT_CHAT_ID or ALERT_CHAT_ID). */
  supportChatId?: number | undefined;
  /** Renders QR code PNGs; default lib/xui/render-qr.ts. */
  renderQr?: (text: string) => Promise<Buffer>;
  /**
   * Throttler settings (Bottleneck options). Default: Telegram's limits, 30 calls/s overall and
   * one message per second per private chat. Tests shorten `out.minTime`.
   */
  throttle?: APIThrottlerOptions;
}

/** Longest `retry_after` the bot waits out, in seconds; longer ones fail the call. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * Builds the Telegram bot: API transformers (auto-retry honouring `retry_after`, then the
 * throttler around it so a retried call keeps its chat's place in line), a locale middleware
 * choosing Russian or English from `language_code`, one grammY Composer per feature (bot/features/,
 * each given only the services it uses), and a `bot.catch` that logs failures without the token or
 * payloads and tells the user something went wrong. The caller starts it (`bot.start()` or a webhook) and stops it.
 *
 * Features route by trigger (a command, a callback-data prefix from callback-data.ts, an update
 * type), never by `next()`, so their order does not matter; only the stale-button fallback comes
 * last. Adding a feature is one file in bot/features/ and one `bot.use` here.
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const log = deps.logger.child({ component: 'bot' });
  const bot = new Bot<BotContext>(deps.token, { client: { apiRoot: deps.apiRoot ?? 'https://api.telegram.org' } });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: MAX_RETRY_AFTER_SECONDS }));
  bot.api.config.use(apiThrottler(deps.throttle));

  const { services } = deps;
  const describe = (error: unknown) => describeError(error, deps.token);
  /*
   * The locale: the language the user chose (stored, so the worker's messages follow it too), else
   * Telegram's language_code. A failed lookup keeps Telegram's, so even a database outage is
   * answered in the user's language.
   */
  bot.use(async (ctx, next) => {
    ctx.locale = pickLocale(ctx.from?.language_code);
    ctx.texts = deps.texts[ctx.locale];
    if (ctx.from !== undefined && (ctx.chat === undefined || ctx.chat.type === 'private')) {
      const stored = await services.findUser(ctx.from.id).then(
        (user) => user?.languageCode ?? undefined,
        (error: unknown) => void log.warn({ error: describe(error) }, 'could not read the stored language'),
      );
      if (stored !== undefined) {
        ctx.locale = pickLocale(stored);
        ctx.texts = deps.texts[ctx.locale];
      }
    }
    await next();
  });
  // A user who blocked the bot and writes again is included in later broadcasts.
  bot.use(reachableAgainFeature({ services, broadcasts: deps.admin?.broadcasts, log }));
  // Before anything takes money: answers "sales paused" while not selling (maintenance mode).
  bot.use(sellingGuardFeature({ maintenance: deps.admin?.maintenance }));
  bot.use(startFeature(services));
  bot.use(helpFeature({ supportContact: deps.supportContact }));
  bot.use(purchaseFeature(services));
  bot.use(promoFeature(services));
  bot.use(starsCheckoutFeature(services, { log, describe }));
  bot.use(subscriptionsFeature(services));
  bot.use(trialFeature(services));
  bot.use(autoRenewFeature(services));
  bot.use(operatorFeature({ services, operator: deps.operator, log }));
  const admin: AdminDeps = { ...deps.admin, operator: deps.operator, isAdmin: (telegramId) => services.isAdmin(telegramId), log, inputs: deps.admin?.inputs ?? createMemoryAdminInputs() };
  bot.use(adminConsoleFeature(admin));
  bot.use(adminUsersFeature(admin));
  bot.use(adminServersFeature(admin));
  bot.use(menuFeature());
  bot.use(subscriptionScreenFeature({ services, renderQr: deps.renderQr ?? ((text) => renderQrPng(text)) }));
  bot.use(balanceFeature(services));
  bot.use(languageFeature({ services, texts: deps.texts }));
  bot.use(supportFeature({ services, texts: deps.texts, supportChatId: deps.supportChatId, log, describe }));
  bot.use(groupChatFeature({ supportChatId: deps.supportChatId }));
  // Fallbacks: what no feature's trigger claimed.
  bot.use(staleButtonsFeature());
  bot.use(unknownInputFeature(services));

  bot.catch(async ({ error, ctx }) => {
    log.error({ error: describe(error), updateId: ctx.update.update_id }, 'update handler failed');
    try {
      if (ctx.callbackQuery !== undefined) await ctx.answerCallbackQuery({ text: ctx.texts.genericError }).catch(() => undefined);
      if (ctx.chat !== undefined) await ctx.reply(ctx.texts.genericError);
    } catch (replyError) {
      log.warn({ error: describe(replyError) }, 'could not tell the user about the failure');
    }
  });
  return bot;
}
