/**
 * Runs the fake Telegram Bot API on its own for development, with the chat simulator at `/`.
 *
 * Usage: tsx fakes/telegram/main.ts
 * Env: FAKE_TELEGRAM_PORT (default 8081), FAKE_TELEGRAM_TOKEN (default `123456:fake-dev-token`),
 * FAKE_TELEGRAM_HOST (default 127.0.0.1). Point the bot at it with its API root set to the
 * printed URL and the same token.
 */
import { z } from 'zod';
import { port } from '../../lib/config/fields';
import { parseConfig } from '../../lib/config/parse-config';
import { startFakeTelegram } from './start-fake-telegram';

const schema = z.object({
  FAKE_TELEGRAM_PORT: port(8081).describe('Port of the fake Bot API and chat simulator'),
  FAKE_TELEGRAM_HOST: z.string().min(1).default('127.0.0.1').describe('Listen address'),
  FAKE_TELEGRAM_TOKEN: z
    .string()
    .regex(/^\d+:[\w-]+$/, 'must look like a bot token (<digits>:<secret>)')
    .default('123456:fake-dev-token')
    .describe('Bot token the fake accepts'),
});

const config = parseConfig(schema, process.env);
const fake = await startFakeTelegram({
  token: config.FAKE_TELEGRAM_TOKEN,
  host: config.FAKE_TELEGRAM_HOST,
  port: config.FAKE_TELEGRAM_PORT,
  chatSimulator: true,
});
console.log(`fake Telegram Bot API at ${fake.apiRoot} (chat simulator: open it in a browser)`);

const stop = () => {
  void fake.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
