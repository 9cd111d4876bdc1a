import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { baseUrl } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { paymentFields } from '../lib/payments/payments-config';
import { purchaseFields } from '../lib/purchases/purchase-config';

/** The bot process's configuration schema. */
export const botConfigSchema = z.object({
  ...commonFields,
  ...paymentFields,
  ...purchaseFields,
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[\w-]+$/, 'must look like <bot id>:<secret> as issued by @BotFather')
    .describe('Bot token from @BotFather (secret)'),
  TELEGRAM_API_ROOT: baseUrl('https://api.telegram.org').describe('Bot API base URL; a local fake in dev and tests'),
  ADMIN_TELEGRAM_IDS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const ids = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
      const parsed = ids.map(Number);
      if (parsed.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of Telegram user ids' });
      }
      return parsed;
    })
    .describe('Telegram user ids allowed to use admin commands, comma-separated'),
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
