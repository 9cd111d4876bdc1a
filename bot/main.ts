/**
 * The bot process's composition root: config once, pool, services, grammY bot with long
 * polling. Stops cleanly on SIGINT/SIGTERM (finishes the current updates, closes the pool).
 */
import { createDbPool } from '../lib/db/create-pool';
import { createLogger } from '../lib/logger';
import { loadBotConfig } from './config';
import { createBot } from './create-bot';
import { createBotServices } from './create-bot-services';
import { defaultTexts } from './locales';
import { publishCommands } from './publish-commands';

const config = loadBotConfig();
const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: 5 });
const bot = createBot({
  token: config.TELEGRAM_BOT_TOKEN,
  apiRoot: config.TELEGRAM_API_ROOT,
  logger,
  texts: defaultTexts,
  services: createBotServices({ db, adminTelegramIds: config.ADMIN_TELEGRAM_IDS, paymentMethods: [] }),
  ...(config.SUPPORT_CONTACT === undefined ? {} : { supportContact: config.SUPPORT_CONTACT }),
});

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ component: 'bot', signal }, 'bot stopping');
  await bot.stop();
  await db.end();
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

await publishCommands(bot.api, defaultTexts);
await bot.start({
  allowed_updates: ['message', 'callback_query', 'pre_checkout_query'],
  onStart: (me) => logger.info({ component: 'bot', username: me.username }, 'bot polling'),
});
