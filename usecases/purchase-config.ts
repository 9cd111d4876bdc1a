/**
 * Configuration fields of the processes that start or wake payment workflows (bot, api), spread
 * into their zod schemas next to `paymentFields`.
 */
import { z } from 'zod';

/** Environment fields of purchases. */
export const purchaseFields = {
  PAYMENT_TIMEOUT_MINUTES: z.coerce
    .number()
    .positive()
    .max(7 * 24 * 60)
    .default(60)
    .describe('How long a payment waits for the provider before its invoice is cancelled, in minutes'),
  TOP_UP_MIN_RUB: z.coerce.number().int().positive().default(50).describe('Smallest balance top-up the bot sells, in whole roubles'),
  TOP_UP_MAX_RUB: z.coerce
    .number()
    .int()
    .positive()
    .max(1_000_000)
    .default(50_000)
    .describe('Largest balance top-up the bot sells, in whole roubles'),
};
