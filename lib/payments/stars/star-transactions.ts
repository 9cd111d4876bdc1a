/**
 * Reading the bot's Telegram Stars transactions (Bot API getStarTransactions) for reconciliation:
 * the list is chronological and append-only, read in pages with offset/limit (limit 1..100). An
 * incoming user payment has `source.type = 'user'` and an id equal to its
 * `telegram_payment_charge_id`; a refund reuses the original id with a `receiver` instead.
 */
import { z } from 'zod';
import type { StarsRefundApi } from './refund-stars-payment';

/** The Bot API calls Stars reconciliation needs (grammY's `Api` has them). */
export interface StarsBotApi extends StarsRefundApi {
  getStarTransactions(other?: { offset?: number; limit?: number }): Promise<{ transactions: readonly unknown[] }>;
}

/** Largest page getStarTransactions serves. */
export const STAR_TRANSACTIONS_PAGE = 100;

const partner = z.object({
  type: z.string(),
  transaction_type: z.string().optional(),
  user: z.object({ id: z.number().int().positive() }).loose().optional(),
  invoice_payload: z.string().optional(),
});

const transaction = z.object({
  id: z.string().min(1),
  amount: z.number().int(),
  date: z.number().int(),
  source: partner.loose().optional(),
  receiver: partner.loose().optional(),
});

/** One incoming charge of a user, as the transaction list shows it. */
export interface IncomingStarsCharge {
  telegramPaymentChargeId: string;
  telegramUserId: number;
  /** '' when Telegram gave none. */
  invoicePayload: string;
  /** Whole Stars. */
  amount: number;
  /** When Telegram took it. */
  date: Date;
  /** Its position in the whole transaction list (the offset that returns it first). */
  offset: number;
  /** The transaction as Telegram sent it. */
  raw: Record<string, unknown>;
}

/** What one pass over the list found. */
export interface StarTransactionsScan {
  /** Incoming invoice payments of users, in list order. */
  incoming: IncomingStarsCharge[];
  /** Ids of charges the list shows as refunded (in the pages read). */
  refundedIds: Set<string>;
  /** Offset just past the last transaction read. */
  endOffset: number;
  /** Pages requested. */
  pages: number;
}

/**
 * Reads every transaction from `offset` to the end, `STAR_TRANSACTIONS_PAGE` at a time (at most
 * `maxPages` pages; the next pass continues from `endOffset`). Entries that are not incoming user
 * invoice payments are only used to learn which charges were refunded.
 *
 * @throws the API's errors (network, 429 after retries)
 */
export async function scanStarTransactions(api: StarsBotApi, input: { offset: number; maxPages?: number }): Promise<StarTransactionsScan> {
  const scan: StarTransactionsScan = { incoming: [], refundedIds: new Set(), endOffset: input.offset, pages: 0 };
  const maxPages = input.maxPages ?? 50;
  while (scan.pages < maxPages) {
    const page = await api.getStarTransactions({ offset: scan.endOffset, limit: STAR_TRANSACTIONS_PAGE });
    scan.pages += 1;
    for (const [position, entry] of page.transactions.entries()) {
      const parsed = transaction.safeParse(entry);
      if (!parsed.success) continue;
      const { source, receiver } = parsed.data;
      if (receiver?.type === 'user') scan.refundedIds.add(parsed.data.id);
      const isInvoicePayment = source?.transaction_type === undefined || source.transaction_type === 'invoice_payment';
      if (source?.type === 'user' && isInvoicePayment && source.user !== undefined && parsed.data.amount > 0) {
        scan.incoming.push({
          telegramPaymentChargeId: parsed.data.id,
          telegramUserId: source.user.id,
          invoicePayload: source.invoice_payload ?? '',
          amount: parsed.data.amount,
          date: new Date(parsed.data.date * 1000),
          offset: scan.endOffset + position,
          raw: entry as Record<string, unknown>,
        });
      }
    }
    scan.endOffset += page.transactions.length;
    if (page.transactions.length < STAR_TRANSACTIONS_PAGE) break;
  }
  return scan;
}
