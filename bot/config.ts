import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { telegramApiRoot, telegramBotToken, telegramUserIds } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { paymentFields } from '../lib/payments/payments-config';
import { purchaseFields } from '../usecases/purchase-config';

/** The bot process's configuration schema. */
export const botConfigSchema = z.object({
  ...commonFields,
  ...paymentFields,
  ...purchaseFields,
  TELEGRAM_BOT_TOKEN: telegramBotToken,
  TELEGRAM_API_ROOT: telegramApiRoot,
  ADMIN_TELEGRAM_IDS: telegramUserIds().describe('Telegram user ids allowed to use admin commands, comma-separated'),
  SUPPORT_CONTACT: z.string().optional().describe('Shown by /paysupport, e.g. @vpn_support'),
  TRIAL_DAYS: z
    .union([z.literal('disabled'), z.coerce.number().int().min(1).max(365)])
    .default(3)
    .describe("Length of the free trial (/trial, once per user) in days, or 'disabled' to turn /trial off"),
});

/** Parsed bot configuration. */
export type BotConfig = z.infer<typeof botConfigSchema>;

/** Parses the bot's environment once, at start-up. @throws ConfigError */
export function loadBotConfig(env: Record<string, string | undefined> = process.env): Readonly<BotConfig> {
  return parseConfig(botConfigSchema, env);
}
