/**
 * zod schemas of the Crypto Pay API answers and webhook updates this module reads. Not strict:
 * only the fields below are relied on.
 */
import { z } from 'zod';

/** An Invoice object (`createInvoice`, `getInvoices` items, webhook `payload`). */
export const cryptoPayInvoiceSchema = z.object({
  invoice_id: z.number().int().nonnegative(),
  hash: z.string().optional(),
  currency_type: z.enum(['crypto', 'fiat']).optional(),
  asset: z.string().optional(),
  fiat: z.string().optional(),
  amount: z.string(),
  status: z.enum(['active', 'paid', 'expired']),
  bot_invoice_url: z.string().optional(),
  /** Deprecated alias of `bot_invoice_url` older answers carry. */
  pay_url: z.string().optional(),
  mini_app_invoice_url: z.string().optional(),
  web_app_invoice_url: z.string().optional(),
  description: z.string().optional(),
  created_at: z.string(),
  expiration_date: z.string().optional(),
  paid_at: z.string().optional(),
  paid_asset: z.string().optional(),
  paid_amount: z.string().optional(),
  payload: z.string().optional(),
});

/** A Crypto Pay invoice. */
export type CryptoPayInvoice = z.infer<typeof cryptoPayInvoiceSchema>;

/** The `getInvoices` result. */
export const cryptoPayInvoiceListSchema = z.object({ items: z.array(cryptoPayInvoiceSchema) });

/** The response envelope: `{ ok: true, result }` or `{ ok: false, error: { code, name } }`. */
export const cryptoPayEnvelopeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.number().int(), name: z.string() }) }),
]);

/** A webhook Update. `update_id` is not unique; deduplicate by `payload.invoice_id`. */
export const cryptoPayUpdateSchema = z.object({
  update_id: z.number().int(),
  update_type: z.string().min(1),
  request_date: z.string(),
  payload: cryptoPayInvoiceSchema,
});

/** A Crypto Pay webhook update. */
export type CryptoPayUpdate = z.infer<typeof cryptoPayUpdateSchema>;
