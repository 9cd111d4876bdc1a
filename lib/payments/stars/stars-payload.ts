/**
 * The `invoice_payload` of Telegram Stars invoices: `order:<payments.id>`. At most 128 bytes per
 * the Bot API; this format needs at most 21. grammY can route on it: `bot.preCheckoutQuery(/^order:/, …)`.
 */
import { z } from 'zod';
import { orderIdText } from '../provider-values';

const PREFIX = 'order:';

/** Schema of a Stars invoice payload; parses to the order id. */
export const starsPayloadSchema = z
  .string()
  .regex(/^order:[1-9]\d{0,15}$/, 'not an order:<id> payload')
  .transform((payload) => Number(payload.slice(PREFIX.length)))
  .refine(Number.isSafeInteger, 'order id out of range');

/**
 * The payload for the Stars invoice of order `orderId` (`payments.id`).
 * @throws RangeError for a non-positive or non-integer id
 */
export function starsInvoicePayload(orderId: number): string {
  return `${PREFIX}${orderIdText(orderId)}`;
}

/** The order id in a Stars payload, or null when the payload is not `order:<id>` (not ours, or forged). */
export function parseStarsPayload(payload: string): number | null {
  const parsed = starsPayloadSchema.safeParse(payload);
  return parsed.success ? parsed.data : null;
}
