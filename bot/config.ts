import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { baseUrl, panelReopenAfterSeconds, telegramApiRoot, telegramBotToken, telegramUserIds } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { paymentFields } from '../lib/payments/payments-config';
import { purchaseFields } from '../usecases/purchase-config';

/** A Telegram chat id: a user's (positive) or a group's (negative). */
const telegramChatId = z.coerce
  .number()
  .int()
  .refine((id) => id !== 0 && Number.isSafeInteger(id), 'must be a Telegram chat id (negative for groups)');

/** The bot process's configuration schema. */
export const botConfigSchema = z.object({
  ...commonFields,
  ...paymentFields,
  ...purchaseFields,
  TELEGRAM_BOT_TOKEN: telegramBotToken,
  TELEGRAM_API_ROOT: telegramApiRoot,
  ADMIN_TELEGRAM_IDS: telegramUserIds().describe('Telegram user ids allowed to use admin commands, comma-separated'),
  SUPPORT_CONTACT: z.string().optional().describe('Shown by /paysupport, e.g. @vpn_support'),
  SUPPORT_CHAT_ID: telegramChatId
    .optional()
    .describe(
      "Telegram chat (a group: negative id; the bot must be a member) that receives users' messages from Help & support; operators answer by replying there. Default ALERT_CHAT_ID; neither: no support chat",
    ),
  ALERT_CHAT_ID: telegramChatId
    .optional()
    .describe('Telegram chat that receives operator alerts (worker) and, without SUPPORT_CHAT_ID, support messages (bot)'),
  PUBLIC_BASE_URL: baseUrl()
    .optional()
    .describe('Public base URL of the api; the bot shows <PUBLIC_BASE_URL>/sub/<token> links and import links; without it only the key'),
  LIFECYCLE_GRACE_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 90)
    .default(72)
    .describe("Hours after the end during which Renew re-enables the same key; keep it equal to the worker's"),
  PANEL_CREDENTIALS_KEY: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The worker's key of the stored 3X-UI panel secrets (secret), only if operators should test, add or re-key panels from the bot; without it the console still lists, closes, opens and re-opens servers",
    ),
  PANEL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Bound on each HTTP exchange with a 3X-UI panel when the console tests one, in milliseconds'),
  PANEL_REOPEN_AFTER_SECONDS: panelReopenAfterSeconds,
  BACKUP_DIR: z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .optional()
    .describe(
      "The worker's backup folder, for the console's Backups screen (the bot only lists it; the worker writes it); unset = backups not configured",
    ),
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
