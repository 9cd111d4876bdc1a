/**
 * The bot process's composition root: config once, pool, Temporal client (purchases start payment
 * workflows, trials start subscription workflows, operator commands update them), services, grammY bot
 * long-polling through @grammyjs/runner (run-bot.ts: many updates at once, one chat at a time). Stops
 * cleanly on SIGINT/SIGTERM (stops fetching, finishes the updates in hand, closes the Temporal
 * connection and the pool); updates fetched but not confirmed come again at the next start and
 * are ignored by their bot_updates claim.
 */
import { Client, Connection } from '@temporalio/client';
import { Api } from 'grammy';
import { createDbPool } from '../lib/db/create-pool';
import { createLogger } from '../lib/logger';
import { createPaymentProviders } from '../lib/payments/payments-config';
import { createPurchaseService } from '../usecases/start-purchase';
import { createStarsCheckout } from '../usecases/stars-checkout';
import { createTrialService } from '../usecases/start-trial';
import { createBroadcastService } from '../usecases/broadcasts';
import { createGiftService } from '../usecases/gifts';
import { createPendingKeyDelivery } from '../usecases/deliver-pending-keys';
import { createRenewalService } from './create-renewal';
import { loadBotConfig } from './config';
import { createBot } from './create-bot';
import { createBotServices } from './create-bot-services';
import { defaultTexts } from './locales';
import { createOperatorActions } from '../usecases/operator-actions';
import { createSecretBox, type SecretBox } from '../lib/crypto/secret-box';
import { ConfigError } from '../lib/errors';
import { createBackupService } from '../usecases/backups';
import { createMaintenanceService } from '../usecases/maintenance';
import { createOperatorConsole } from '../usecases/operator-console';
import { createOperatorStatsService } from '../usecases/operator-stats';
import { createRefunds } from '../usecases/refund-payment';
import { createServersService } from '../usecases/servers-service';
import { publishCommands } from './publish-commands';
import { runBot } from './run-bot';
import { startOpsServer } from '../lib/observability/ops-server';
import { createProcessRegistry } from '../lib/observability/process-metrics';

const config = loadBotConfig();
const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: 5 });
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const paymentWorkflows = {
  client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  timeoutMinutes: config.PAYMENT_TIMEOUT_MINUTES,
};
const providers = createPaymentProviders(config, { logger: logger.child({ component: 'payments' }) });
const purchases = createPurchaseService({
  db,
  payments: paymentWorkflows,
  providers,
  starsKopecksPerStar: config.STARS_KOPECKS_PER_STAR,
  disabledMethods: config.PAYMENT_METHODS_DISABLED,
  graceHours: config.LIFECYCLE_GRACE_HOURS,
  topUpRub: { min: config.TOP_UP_MIN_RUB, max: config.TOP_UP_MAX_RUB },
  logger,
});
// Gift links name the bot: t.me/<username>?start=gift_<code>.
const me = await new Api(config.TELEGRAM_BOT_TOKEN, { apiRoot: config.TELEGRAM_API_ROOT }).getMe();
const gifts = createGiftService({ db, client: paymentWorkflows.client, taskQueue: config.TEMPORAL_TASK_QUEUE, botUsername: me.username });
const publicBaseUrl = config.PUBLIC_BASE_URL;
const broadcasts = createBroadcastService({ db, client: paymentWorkflows.client, taskQueue: config.TEMPORAL_TASK_QUEUE });
const trial = createTrialService({
  db,
  client: paymentWorkflows.client,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  trialDays: config.TRIAL_DAYS,
});
const operator = createOperatorActions({ client: paymentWorkflows.client, db, taskQueue: config.TEMPORAL_TASK_QUEUE });
/*
 * The panel secrets' key stays with the worker unless the operator gives it to the bot too: without
 * it the console still lists, closes, opens and re-opens servers, and says that testing, adding or
 * rotating credentials needs PANEL_CREDENTIALS_KEY in the bot (or `npm run servers`).
 */
const secretBox: SecretBox =
  config.PANEL_CREDENTIALS_KEY === undefined
    ? {
        encrypt: () => {
          throw new ConfigError('testing or adding a panel from the bot needs PANEL_CREDENTIALS_KEY in the bot; use npm run servers');
        },
        decrypt: () => {
          throw new ConfigError('testing a panel from the bot needs PANEL_CREDENTIALS_KEY in the bot; use npm run servers');
        },
      }
    : createSecretBox(config.PANEL_CREDENTIALS_KEY);
const bot = createBot({
  token: config.TELEGRAM_BOT_TOKEN,
  apiRoot: config.TELEGRAM_API_ROOT,
  logger,
  texts: defaultTexts,
  services: createBotServices({
    db,
    adminTelegramIds: config.ADMIN_TELEGRAM_IDS,
    paymentMethods: [],
    purchases,
    stars: createStarsCheckout({ db, payments: paymentWorkflows, logger }),
    trial,
    gifts,
    publicBaseUrl: config.PUBLIC_BASE_URL,
  }),
  renewal: createRenewalService({ db, purchases }),
  ...(publicBaseUrl === undefined ? {} : { pendingKeys: (sender) => createPendingKeyDelivery({ db, sender, publicBaseUrl, logger }) }),
  userReachable: (userId) => broadcasts.userReachable(userId),
  operator,
  admin: {
    console: createOperatorConsole({ db }),
    stats: createOperatorStatsService({ db }),
    maintenance: createMaintenanceService({ db }),
    broadcasts,
    backups: createBackupService({ client: paymentWorkflows.client, dir: config.BACKUP_DIR }),
    servers: (operatorTelegramId) =>
      createServersService({
        db,
        secretBox,
        panelTimeoutMs: config.PANEL_TIMEOUT_MS,
        reopenAfterSeconds: config.PANEL_REOPEN_AFTER_SECONDS,
        actor: { type: 'operator', telegramId: operatorTelegramId },
      }),
    refunds: createRefunds({
      db,
      providers,
      operator,
      starsApi: { refundStarPayment: (userId, chargeId) => bot.api.refundStarPayment(userId, chargeId) },
      // Called only while handling an operator's update, so after `bot` exists.
      sendText: async (chatId, text) => ({ messageId: (await bot.api.sendMessage(chatId, text)).message_id }),
      logger,
    }),
    publicBaseUrl: config.PUBLIC_BASE_URL,
  },
  ...(config.SUPPORT_CONTACT === undefined ? {} : { supportContact: config.SUPPORT_CONTACT }),
  supportChatId: config.SUPPORT_CHAT_ID ?? config.ALERT_CHAT_ID,
});

const registry = createProcessRegistry('bot');
let running: Awaited<ReturnType<typeof runBot>> | undefined;
const ops =
  config.METRICS_PORT === 'disabled'
    ? undefined
    : await startOpsServer({ port: config.METRICS_PORT, registry, healthy: () => running?.isRunning() ?? false });

/** How long a clean stop may take before the process exits anyway, in milliseconds. */
const STOP_TIMEOUT_MS = 10_000;
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) {
    // A second signal: the operator insists.
    process.exit(1);
  }
  stopping = true;
  logger.info({ component: 'bot', signal }, 'bot stopping');
  // The updates in hand finish first; one stuck on an unreachable Telegram (auto-retry waits) or
  // database would hold the stop forever, so it is bounded.
  const timer = setTimeout(() => {
    logger.warn({ component: 'bot' }, 'clean stop timed out; exiting');
    process.exit(0);
  }, STOP_TIMEOUT_MS);
  timer.unref();
  await running?.stop().catch(() => undefined);
  await ops?.close();
  await connection.close().catch(() => undefined);
  await db.end();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

await publishCommands(bot.api, defaultTexts, { trial: trial.trialDays() !== null });
running = await runBot(bot, {
  onStart: (me) => logger.info({ component: 'bot', username: me.username }, 'bot polling'),
});
await running.task;
