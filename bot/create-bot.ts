import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import type { APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import { Bot, InputFile } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from './bot-context';
import type { BotServices } from './bot-services';
import { describeError } from './describe-error';
import { groupThrottler } from './group-throttle';
import { pickLocale, type LocaleTexts } from './locales';
import type { OperatorActions } from '../usecases/operator-types';
import { renderQrPng } from '../lib/xui/render-qr';
import { autoRenewFeature } from './features/auto-renew';
import { balanceFeature } from './features/balance';
import { topUpFeature } from './features/top-up';
import { giftsFeature } from './features/gifts';
import type { KeyMessageSender, PendingKeyDelivery } from '../usecases/deliver-pending-keys';
import type { BotUser } from './bot-services';
import { languageFeature } from './features/language';
import { groupChatFeature, menuFeature, unknownInputFeature } from './features/menu';
import { renewalFeature, type RenewalService } from './features/renewal';
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
  /** Renewal with the same key, when the backend offers it; without it Renew buttons say it is not available. */
  renewal?: RenewalService | undefined;
  /**
   * Key messages that never reached the user (usecases/deliver-pending-keys.ts), built on the bot's
   * own API; called after every update from a user (one indexed query when nothing is pending).
   */
  pendingKeys?: ((sender: KeyMessageSender) => PendingKeyDelivery) | undefined;
  /** Clears a user's blocked mark when they write again (usecases/broadcasts.ts userReachable). */
  userReachable?: ((userId: number) => Promise<void>) | undefined;
  /** Renders QR code PNGs; default lib/xui/render-qr.ts. */
  renderQr?: (text: string) => Promise<Buffer>;
  /** Throttler settings for calls to groups (Bottleneck options); default GROUP_THROTTLE (group-throttle.ts). */
  throttle?: APIThrottlerOptions;
}

/** Longest `retry_after` the bot waits out, in seconds; longer ones fail the call. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * Builds the Telegram bot: API transformers (auto-retry honouring `retry_after`, then the group
 * throttler around it so a retried call keeps its place in line; group-throttle.ts), `sequentialize` per chat
 * (run-bot.ts hands over many updates at once), a middleware claiming each update once and choosing
 * Russian or English (the user's stored choice, else `language_code`) that afterwards delivers the
 * user's failed key messages and clears their blocked mark, one grammY Composer per feature (bot/features/,
 * each given only the services it uses), and a `bot.catch` that logs failures without the token or
 * payloads and tells the user something went wrong. The caller starts it (run-bot.ts) and stops it.
 *
 * Features route by trigger (a command, a callback-data prefix from callback-data.ts, an update
 * type), never by `next()`, so their order does not matter; only the two fallbacks (stale buttons,
 * unknown input) come last. Adding a feature is one file in bot/features/ and one `bot.use` here.
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const log = deps.logger.child({ component: 'bot' });
  const bot = new Bot<BotContext>(deps.token, { client: { apiRoot: deps.apiRoot ?? 'https://api.telegram.org' } });
  const retry = autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: MAX_RETRY_AFTER_SECONDS });
  // getUpdates is left to the runner, which retries it itself and aborts it on stop: auto-retry
  // would retry the aborted long poll after the stop, against a Telegram nobody listens to.
  bot.api.config.use((prev, method, payload, signal) =>
    method === 'getUpdates' ? prev(method, payload, signal) : retry(prev, method, payload, signal),
  );
  bot.api.config.use(groupThrottler(deps.throttle));

  const { services } = deps;
  const describe = (error: unknown) => describeError(error, deps.token);
  const pendingKeys = deps.pendingKeys?.({
    sendText: async (chatId, text) => ({
      messageId: (await bot.api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true } })).message_id,
    }),
    sendPhoto: async (chatId, png, caption) => ({
      messageId: (
        await bot.api.sendPhoto(
          chatId,
          new InputFile(Buffer.from(png.replace(/^data:image\/png;base64,/, ''), 'base64'), 'qr.png'),
          caption === undefined ? {} : { caption },
        )
      ).message_id,
    }),
  });
  /**
   * After an update from a known user: a user marked blocked is reachable again, and key messages
   * that failed earlier are delivered now. After the answer, so it never delays it; failures are
   * logged, never shown (the next update tries again).
   */
  const afterUserUpdate = async (user: BotUser) => {
    try {
      if (user.blocked === true) await deps.userReachable?.(user.userId);
      if (pendingKeys !== undefined) await pendingKeys.deliverPendingKeyMessages(user.userId);
    } catch (error) {
      log.warn({ error: describe(error), userId: user.userId }, 'could not deliver pending key messages');
    }
  };
  /*
   * Updates of one chat run one after another, in order (the runner hands the bot many at once);
   * different chats run in parallel. A pre-checkout query waits for nobody: Telegram cancels the
   * purchase unless it is answered within 10 s.
   */
  bot.use(
    sequentialize((ctx: BotContext) => (ctx.preCheckoutQuery === undefined ? (ctx.chat?.id ?? ctx.from?.id)?.toString() : undefined)),
  );
  /*
   * Then, in one database round trip: the update is claimed (bot_updates), so a delivery Telegram
   * repeats after a restart or a timeout is ignored instead of answered twice, and the locale is
   * looked up: the language the user chose (stored, so the worker's messages follow it too), else
   * Telegram's language_code. A failed claim lets the update through (answering twice is better
   * than not answering) in Telegram's language.
   */
  bot.use(async (ctx, next) => {
    ctx.locale = pickLocale(ctx.from?.language_code);
    ctx.texts = deps.texts[ctx.locale];
    ctx.user = undefined;
    const privateSender = ctx.from !== undefined && (ctx.chat === undefined || ctx.chat.type === 'private') ? ctx.from.id : undefined;
    const claim = await services.claimUpdate({ updateId: ctx.update.update_id, telegramId: privateSender }).catch((error: unknown) => {
      log.warn({ error: describe(error), updateId: ctx.update.update_id }, 'could not claim the update; handling it anyway');
      return undefined;
    });
    if (claim?.fresh === false) {
      log.info({ updateId: ctx.update.update_id }, 'repeated update ignored');
      return;
    }
    const user: BotUser | null = claim?.user ?? null;
    // Features read the sender from here instead of looking them up again (senderUser).
    if (claim !== undefined && privateSender !== undefined) ctx.user = claim.user;
    if (claim?.languageCode != null) {
      ctx.locale = pickLocale(claim.languageCode);
      ctx.texts = deps.texts[ctx.locale];
    }
    try {
      await next();
    } finally {
      if (user !== null) await afterUserUpdate(user);
    }
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
  bot.use(giftsFeature(services));
  bot.use(trialFeature(services));
  bot.use(autoRenewFeature(services));
  bot.use(operatorFeature({ services, operator: deps.operator, log }));
  const admin: AdminDeps = {
    ...deps.admin,
    operator: deps.operator,
    isAdmin: (telegramId) => services.isAdmin(telegramId),
    log,
    inputs: deps.admin?.inputs ?? createMemoryAdminInputs(),
  };
  bot.use(adminConsoleFeature(admin));
  bot.use(adminUsersFeature(admin));
  bot.use(adminServersFeature(admin));
  bot.use(menuFeature());
  bot.use(
    subscriptionScreenFeature({
      services,
      renewable: deps.renewal !== undefined,
      renderQr: deps.renderQr ?? ((text) => renderQrPng(text)),
    }),
  );
  bot.use(renewalFeature({ services, renewal: deps.renewal }));
  bot.use(balanceFeature(services));
  bot.use(topUpFeature(services));
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
