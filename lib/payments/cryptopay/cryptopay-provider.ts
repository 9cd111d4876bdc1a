/**
 * Crypto Pay (@CryptoBot) as a {@link PaymentProvider}: fiat-priced invoices (RUB, paid in crypto)
 * with `payload` = `payments.id`, status through `getInvoices`, cancellation through
 * `deleteInvoice`, and webhooks verified by their HMAC signature over the raw body. No refunds:
 * Crypto Pay has no refund call (money goes back by `transfer`, an operator decision).
 *
 * Crypto Pay has no idempotency keys. So that a retried `createInvoice` (activity retry after a
 * timeout) does not leave a second invoice behind, it first looks among the app's active invoices
 * for one with the same payload and amount and returns that one (`reuseActiveInvoice`, default on).
 */
import { z } from 'zod';
import type { Kopecks } from '../../money';
import { PaymentNotFoundError, PaymentUnavailableError, WebhookRejectedError } from '../payment-errors';
import type {
  CreateInvoiceInput,
  CreatedInvoice,
  NotificationEvent,
  NotificationInput,
  PaymentProvider,
  PaymentSnapshot,
} from '../payment-provider';
import { headerValue, parseJsonText } from '../provider-http';
import {
  assertIdempotencyKey,
  optionalDate,
  orderIdText,
  parseOrderIdText,
  parseProviderAmount,
  positiveAmountText,
  truncateText,
} from '../provider-values';
import { createCryptoPayHttp, type CryptoPayHttpOptions } from './cryptopay-http';
import { cryptoPayInvoiceListSchema, cryptoPayInvoiceSchema, cryptoPayUpdateSchema, type CryptoPayInvoice } from './cryptopay-schemas';
import { CRYPTO_PAY_SIGNATURE_HEADER, verifyCryptoPaySignature } from './cryptopay-signature';

/** Options of {@link createCryptoPayProvider}. */
export interface CryptoPayProviderOptions extends CryptoPayHttpOptions {
  /** How long an invoice can be paid, in seconds (1..2 678 400); default 3600. */
  invoiceTtlSeconds?: number | undefined;
  /** Assets the payer may use, e.g. ['USDT', 'TON']; default all. */
  acceptedAssets?: readonly string[] | undefined;
  /** Reuse an active invoice with the same payload and amount instead of creating another; default true. */
  reuseActiveInvoice?: boolean | undefined;
  /** How many active invoices that look-up scans (1..1000); default 100. */
  reuseLookback?: number | undefined;
}

const MAX_DESCRIPTION = 1024;

/**
 * Creates the Crypto Pay provider for one app.
 * @throws RangeError for an `invoiceTtlSeconds` outside 1..2 678 400
 */
export function createCryptoPayProvider(
  options: CryptoPayProviderOptions,
): PaymentProvider & Required<Pick<PaymentProvider, 'cancelInvoice'>> {
  const http = createCryptoPayHttp(options);
  const ttlSeconds = options.invoiceTtlSeconds ?? 3600;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 2_678_400)
    throw new RangeError('invoiceTtlSeconds must be 1..2678400');
  const reuse = options.reuseActiveInvoice ?? true;
  const lookback = Math.min(1000, Math.max(1, options.reuseLookback ?? 100));

  function created(invoice: CryptoPayInvoice): CreatedInvoice {
    const confirmationUrl = invoice.bot_invoice_url ?? invoice.pay_url;
    if (confirmationUrl === undefined) {
      throw new PaymentUnavailableError('cryptopay', 'createInvoice: the invoice has no bot_invoice_url', { reason: 'bad-response' });
    }
    const expiresAt = optionalDate(invoice.expiration_date);
    return { externalId: String(invoice.invoice_id), confirmationUrl, ...(expiresAt ? { expiresAt } : {}) };
  }

  async function createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice> {
    assertIdempotencyKey(input.idempotencyKey);
    const amount = positiveAmountText(input.amountKopecks);
    if (input.method !== 'crypto') throw new RangeError('Crypto Pay takes crypto only');
    const payload = orderIdText(input.orderId);
    if (reuse) {
      const { items } = await http.call(
        'getInvoices',
        { fiat: input.currency, status: 'active', count: lookback },
        cryptoPayInvoiceListSchema,
      );
      const same = items.find(
        (invoice) => invoice.payload === payload && invoice.status === 'active' && safeAmount(invoice.amount) === input.amountKopecks,
      );
      if (same !== undefined) return created(same);
    }
    const invoice = await http.call(
      'createInvoice',
      {
        currency_type: 'fiat',
        fiat: input.currency,
        amount,
        description: truncateText(input.description, MAX_DESCRIPTION),
        payload,
        expires_in: ttlSeconds,
        allow_comments: false,
        ...(options.acceptedAssets && options.acceptedAssets.length > 0 ? { accepted_assets: options.acceptedAssets.join(',') } : {}),
        ...(/^https?:\/\//.test(input.returnUrl) ? { paid_btn_name: 'callback', paid_btn_url: input.returnUrl } : {}),
      },
      cryptoPayInvoiceSchema,
    );
    return created(invoice);
  }

  async function fetchStatus(externalId: string): Promise<PaymentSnapshot> {
    const id = invoiceIdOf(externalId);
    const { items } = await http.call('getInvoices', { invoice_ids: String(id) }, cryptoPayInvoiceListSchema);
    const invoice = items.find((item) => item.invoice_id === id);
    if (invoice === undefined) throw new PaymentNotFoundError('cryptopay', 'getInvoices: no such invoice (never created, or deleted)');
    return snapshotOf(invoice);
  }

  async function cancelInvoice(externalId: string): Promise<void> {
    await http.call('deleteInvoice', { invoice_id: invoiceIdOf(externalId) }, z.literal(true));
  }

  function parseNotification(input: NotificationInput): NotificationEvent {
    if (!verifyCryptoPaySignature(options.token, input.rawBody, headerValue(input.headers, CRYPTO_PAY_SIGNATURE_HEADER))) {
      throw new WebhookRejectedError('cryptopay', 'bad-signature', 'webhook signature missing or wrong');
    }
    const parsed = cryptoPayUpdateSchema.safeParse(parseJsonText(input.rawBody.toString('utf8')));
    if (!parsed.success) {
      throw new WebhookRejectedError('cryptopay', 'malformed', 'webhook is not a Crypto Pay update', { cause: parsed.error });
    }
    const { update_type: type, payload: invoice } = parsed.data;
    const paid = type === 'invoice_paid';
    return {
      provider: 'cryptopay',
      // invoice_paid is the only documented type; anything else gets its own key so it never shadows it.
      eventKey: paid ? String(invoice.invoice_id) : `${invoice.invoice_id}:${type}`,
      externalId: String(invoice.invoice_id),
      orderId: parseOrderIdText(invoice.payload),
      kind: paid ? 'succeeded' : 'other',
    };
  }

  return {
    name: 'cryptopay',
    createInvoice,
    fetchStatus,
    cancelInvoice,
    parseNotification,
    confirmNotification: (event) => fetchStatus(event.externalId),
  };
}

function invoiceIdOf(externalId: string): number {
  if (!/^\d{1,15}$/.test(externalId)) throw new RangeError('a Crypto Pay invoice id is a decimal integer');
  return Number(externalId);
}

function snapshotOf(invoice: CryptoPayInvoice): PaymentSnapshot {
  const amount = safeAmount(invoice.amount);
  if (amount === undefined) {
    throw new PaymentUnavailableError('cryptopay', 'getInvoices: amount is not a fiat amount in kopecks', { reason: 'bad-response' });
  }
  const paidAt = invoice.status === 'paid' ? optionalDate(invoice.paid_at) : undefined;
  return {
    externalId: String(invoice.invoice_id),
    status: invoice.status === 'paid' ? 'succeeded' : invoice.status === 'expired' ? 'expired' : 'pending',
    amountKopecks: amount,
    currency: invoice.fiat ?? invoice.asset ?? '',
    orderId: parseOrderIdText(invoice.payload),
    ...(paidAt ? { paidAt } : {}),
  };
}

function safeAmount(text: string): Kopecks | undefined {
  try {
    return parseProviderAmount(text);
  } catch {
    return undefined;
  }
}
