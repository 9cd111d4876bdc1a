/**
 * The API methods of the fake Crypto Pay: `getMe`, `createInvoice`, `getInvoices`,
 * `deleteInvoice`. Parameters come from the query string, JSON or a form, as the real API allows.
 * Error names are the fake's own (`AMOUNT_INVALID`, `INVOICE_NOT_FOUND`, ...): the real list is
 * not published, so clients must treat any name as opaque.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseProviderAmount } from '../../lib/payments/provider-values';

/** An invoice as the fake stores and prints it. */
export interface FakeInvoiceJson {
  invoice_id: number;
  hash: string;
  currency_type: 'crypto' | 'fiat';
  asset?: string;
  fiat?: string;
  amount: string;
  accepted_assets?: string[];
  status: 'active' | 'paid' | 'expired';
  bot_invoice_url: string;
  mini_app_invoice_url: string;
  web_app_invoice_url: string;
  description?: string;
  created_at: string;
  expiration_date?: string;
  paid_at?: string;
  paid_asset?: string;
  paid_amount?: string;
  paid_fiat_rate?: string;
  paid_usd_rate?: string;
  fee_asset?: string;
  fee_amount?: string;
  paid_anonymously?: boolean;
  payload?: string;
  paid_btn_name?: string;
  paid_btn_url?: string;
  allow_comments: boolean;
  allow_anonymous: boolean;
}

/** The fake app's invoices. */
export interface FakeCryptoPayState {
  invoices: Map<number, FakeInvoiceJson>;
  nextInvoiceId: number;
}

/** A method's outcome: the result, or an error code and name. */
export type MethodOutcome = { ok: true; result: unknown } | { ok: false; code: number; name: string };

const FIATS = [
  'USD',
  'EUR',
  'RUB',
  'BYN',
  'UAH',
  'GBP',
  'CNY',
  'KZT',
  'UZS',
  'GEL',
  'TRY',
  'AMD',
  'THB',
  'INR',
  'BRL',
  'IDR',
  'AZN',
  'AED',
  'PLN',
  'ILS',
];
const ASSETS = ['USDT', 'TON', 'BTC', 'ETH', 'LTC', 'BNB', 'TRX', 'USDC'];
const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

const createSchema = z.object({
  currency_type: z.enum(['crypto', 'fiat']).default('crypto'),
  asset: z.string().optional(),
  fiat: z.string().optional(),
  accepted_assets: z.string().optional(),
  amount: z.union([z.string(), z.number()]).transform(String),
  description: z.string().max(1024).optional(),
  hidden_message: z.string().max(2048).optional(),
  paid_btn_name: z.enum(['viewItem', 'openChannel', 'openBot', 'callback']).optional(),
  paid_btn_url: z
    .string()
    .regex(/^https?:\/\//)
    .optional(),
  payload: z.string().max(4096).optional(),
  allow_comments: bool.default(true),
  allow_anonymous: bool.default(true),
  expires_in: z.coerce.number().int().min(1).max(2_678_400).optional(),
});
const listSchema = z.object({
  asset: z.string().optional(),
  fiat: z.string().optional(),
  invoice_ids: z.union([z.string(), z.number()]).transform(String).optional(),
  status: z.enum(['active', 'paid']).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  count: z.coerce.number().int().min(1).max(1000).default(100),
});
const deleteSchema = z.object({ invoice_id: z.coerce.number().int() });

const fail = (name: string, code = 400): MethodOutcome => ({ ok: false, code, name });

/** Marks active invoices past their expiration date as expired (Crypto Pay sends no webhook for that). */
export function expireOverdue(state: FakeCryptoPayState, now = Date.now()): void {
  for (const invoice of state.invoices.values()) {
    if (invoice.status === 'active' && invoice.expiration_date !== undefined && Date.parse(invoice.expiration_date) <= now)
      invoice.status = 'expired';
  }
}

/** Runs one API method against the state. `url` is the fake's base URL (for invoice links). */
export function runMethod(state: FakeCryptoPayState, method: string, params: Record<string, unknown>, url: string): MethodOutcome {
  expireOverdue(state);
  if (method === 'getMe') return { ok: true, result: { app_id: 1, name: 'Fake app', payment_processing_bot_username: 'CryptoTestnetBot' } };
  if (method === 'createInvoice') {
    const parsed = createSchema.safeParse(params);
    if (!parsed.success) return fail(`${String(parsed.error.issues[0]?.path[0] ?? 'PARAM').toUpperCase()}_INVALID`);
    const input = parsed.data;
    if (input.currency_type === 'fiat' && (input.fiat === undefined || !FIATS.includes(input.fiat))) return fail('FIAT_INVALID');
    if (input.currency_type === 'crypto' && (input.asset === undefined || !ASSETS.includes(input.asset))) return fail('ASSET_INVALID');
    if (input.paid_btn_name !== undefined && input.paid_btn_url === undefined) return fail('PAID_BTN_URL_REQUIRED');
    let kopecks: bigint;
    try {
      kopecks = parseProviderAmount(input.amount);
    } catch {
      return fail('AMOUNT_INVALID');
    }
    if (kopecks <= 0n) return fail('AMOUNT_INVALID');
    const id = state.nextInvoiceId++;
    const hash = `IV${randomBytes(6).toString('hex').toUpperCase()}`;
    const now = Date.now();
    const invoice: FakeInvoiceJson = {
      invoice_id: id,
      hash,
      currency_type: input.currency_type,
      ...(input.currency_type === 'fiat' ? { fiat: input.fiat } : { asset: input.asset }),
      amount: input.amount,
      ...(input.accepted_assets === undefined ? {} : { accepted_assets: input.accepted_assets.split(',') }),
      status: 'active',
      bot_invoice_url: `${url}/invoice/${hash}`,
      mini_app_invoice_url: `${url}/invoice/${hash}?mode=mini-app`,
      web_app_invoice_url: `${url}/invoice/${hash}?mode=web-app`,
      ...(input.description === undefined ? {} : { description: input.description }),
      created_at: new Date(now).toISOString(),
      ...(input.expires_in === undefined ? {} : { expiration_date: new Date(now + input.expires_in * 1000).toISOString() }),
      ...(input.payload === undefined ? {} : { payload: input.payload }),
      ...(input.paid_btn_name === undefined ? {} : { paid_btn_name: input.paid_btn_name, paid_btn_url: input.paid_btn_url }),
      allow_comments: input.allow_comments,
      allow_anonymous: input.allow_anonymous,
    };
    state.invoices.set(id, invoice);
    return { ok: true, result: structuredClone(invoice) };
  }
  if (method === 'getInvoices') {
    const parsed = listSchema.safeParse(params);
    if (!parsed.success) return fail(`${String(parsed.error.issues[0]?.path[0] ?? 'PARAM').toUpperCase()}_INVALID`);
    const input = parsed.data;
    const ids = input.invoice_ids?.split(',').map((id) => Number(id.trim()));
    const items = [...state.invoices.values()].filter(
      (invoice) =>
        (ids === undefined || ids.includes(invoice.invoice_id)) &&
        (input.status === undefined || invoice.status === input.status) &&
        (input.fiat === undefined || invoice.fiat === input.fiat) &&
        (input.asset === undefined || invoice.asset === input.asset),
    );
    return { ok: true, result: { items: structuredClone(items.slice(input.offset, input.offset + input.count)) } };
  }
  if (method === 'deleteInvoice') {
    const parsed = deleteSchema.safeParse(params);
    if (!parsed.success) return fail('INVOICE_ID_INVALID');
    if (!state.invoices.delete(parsed.data.invoice_id)) return fail('INVOICE_NOT_FOUND');
    return { ok: true, result: true };
  }
  return fail('METHOD_NOT_FOUND', 405);
}
