/**
 * The one interface every external payment provider module implements (YooKassa, Crypto Pay, the
 * local sandbox). Workflow activities create invoices and read statuses through it; the api's
 * webhook routes verify notifications through it. Telegram Stars is not a `PaymentProvider`: its
 * checkout runs inside the bot (see `stars/`).
 *
 * Money is `bigint` kopecks; decimal strings exist only on the wire. Order ids are `payments.id`.
 */
import type { Kopecks } from '../money';
import type { PaymentProviderName } from './payment-errors';

/** How the payer pays through an external provider. */
export type ExternalPaymentMethod = 'card' | 'sbp' | 'crypto';

/** What {@link PaymentProvider.createInvoice} needs. */
export interface CreateInvoiceInput {
  /** `payments.id`; echoed back by the provider (metadata / payload) in statuses and webhooks. */
  orderId: number;
  /** Positive amount in kopecks. */
  amountKopecks: Kopecks;
  currency: 'RUB';
  /** Shown to the payer. YooKassa keeps the first 128 characters, Crypto Pay the first 1024. */
  description: string;
  method: ExternalPaymentMethod;
  /** Where the provider sends the payer back after paying (an http(s) URL or a t.me link). */
  returnUrl: string;
  /**
   * One key per logical attempt, reused on every retry of that attempt (timeouts, 5xx, 202) and
   * replaced only for a genuinely new attempt, e.g. `order-<id>-attempt-<n>`. 1..64 characters.
   * Crypto Pay has no idempotency keys; there it is only validated (see the Crypto Pay module).
   */
  idempotencyKey: string;
}

/** A created invoice. */
export interface CreatedInvoice {
  /** The provider's id (YooKassa payment id; Crypto Pay invoice_id as decimal text). */
  externalId: string;
  /** Where to send the payer. */
  confirmationUrl: string;
  /** When the provider stops accepting payment, when it says so. */
  expiresAt?: Date;
}

/** The provider-independent state of a payment. */
export type ProviderPaymentStatus = 'pending' | 'succeeded' | 'canceled' | 'expired';

/** What the provider says about a payment, read with the shop's own credentials. */
export interface PaymentSnapshot {
  externalId: string;
  status: ProviderPaymentStatus;
  /** The amount the invoice is for, in kopecks of `currency`. */
  amountKopecks: Kopecks;
  /** ISO-4217 code as the provider reports it ('RUB'). */
  currency: string;
  /** `payments.id` from the provider's metadata/payload; null when absent or not an id. */
  orderId: number | null;
  /** When the payment succeeded, when known. */
  paidAt?: Date;
  /** Amount refunded so far, in kopecks, when the provider reports refunds. */
  refundedKopecks?: Kopecks;
  /** The provider's reason for `canceled`/`expired` (YooKassa `cancellation_details.reason`). */
  cancellationReason?: string;
}

/** A refund request. */
export interface RefundInput {
  externalId: string;
  /** Positive amount to return, in kopecks; at most the payment's unrefunded remainder. */
  amountKopecks: Kopecks;
  /** One key per logical refund (≤ 64 chars), reused on retries. */
  idempotencyKey: string;
}

/** A refund as the provider reports it. */
export interface RefundResult {
  refundId: string;
  status: 'pending' | 'succeeded' | 'canceled';
  amountKopecks: Kopecks;
}

/** What the api hands to {@link PaymentProvider.parseNotification}. */
export interface NotificationInput {
  /** The request body exactly as received (signatures cover the raw bytes). */
  rawBody: Buffer;
  /** Request headers; names in lower case as Node gives them. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The client IP as the api resolved it (fastify `request.ip` with `trustProxy` set to the
   * operator's own proxies only). The provider module never reads forwarding headers itself.
   */
  sourceIp: string;
}

/** What a verified notification says happened. `other` = a type this product does not act on (answer 200, ignore). */
export type NotificationKind = 'succeeded' | 'canceled' | 'refunded' | 'other';

/** A notification that passed verification. Its content is still a claim: see `confirmNotification`. */
export interface NotificationEvent {
  provider: PaymentProviderName;
  /**
   * Deduplication key (payments.md §5): YooKassa `object.id:event`, Crypto Pay `invoice_id`,
   * sandbox `invoice id:event`. Repeats and replays carry the same key.
   */
  eventKey: string;
  /** The provider payment the notification is about (for YooKassa refunds: the refunded payment). */
  externalId: string;
  /** `payments.id` from the notification's metadata/payload; null when absent (e.g. YooKassa refunds). */
  orderId: number | null;
  kind: NotificationKind;
}

/** One external payment provider. Stateless apart from configuration; safe to share. */
export interface PaymentProvider {
  readonly name: PaymentProviderName;
  /**
   * Creates an invoice for `input.orderId`.
   * @idempotency input.idempotencyKey (YooKassa, sandbox); Crypto Pay: none, see its module
   * @throws RangeError for a non-positive amount or a bad key; PaymentRejectedError,
   *   PaymentAuthError, PaymentUnavailableError
   */
  createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice>;
  /**
   * Reads the current state of a payment: the source of truth before granting anything.
   * @throws PaymentNotFoundError, PaymentAuthError, PaymentUnavailableError
   */
  fetchStatus(externalId: string): Promise<PaymentSnapshot>;
  /**
   * Withdraws an unpaid invoice, where the provider has such a call (Crypto Pay, sandbox). Not
   * present for YooKassa: an unpaid redirect payment cannot be cancelled and expires after 1 h.
   * @throws PaymentNotFoundError, PaymentRejectedError, PaymentUnavailableError
   */
  cancelInvoice?(externalId: string): Promise<void>;
  /**
   * Returns money to the payer, where the provider has refunds (YooKassa, sandbox).
   * @idempotency input.idempotencyKey
   * @throws RangeError for a non-positive amount or a bad key; PaymentRejectedError (not paid,
   *   not refundable, more than the remainder), PaymentUnavailableError
   */
  refund?(input: RefundInput): Promise<RefundResult>;
  /**
   * The refund's current state, for one the provider answered 'pending' (YooKassa).
   * @throws PaymentNotFoundError, PaymentUnavailableError
   */
  fetchRefund?(refundId: string): Promise<RefundResult>;
  /**
   * Verifies a webhook (signature or source IP) and extracts what it claims. Does no I/O.
   * Verification passing does not make a replay new: deduplicate on `eventKey`.
   * @throws WebhookRejectedError
   */
  parseNotification(input: NotificationInput): NotificationEvent;
  /**
   * Re-reads the payment a verified notification names with the shop's credentials and returns
   * the authoritative state; compare it with the order using {@link matchesOrder}.
   * @throws as {@link fetchStatus}
   */
  confirmNotification(event: NotificationEvent): Promise<PaymentSnapshot>;
}

/** The order as the caller's database knows it. */
export interface ExpectedOrder {
  /** `payments.id`. */
  id: number;
  amountKopecks: Kopecks;
  currency: string;
}

/** A way a provider's payment differs from the order it claims to pay. */
export type OrderMismatch = 'order-id' | 'amount' | 'currency';

/** The result of {@link matchesOrder}. */
export type OrderMatch = { ok: true } | { ok: false; mismatches: OrderMismatch[] };

/**
 * Compares a confirmed payment with the order it should pay: same `payments.id`, exact amount in
 * kopecks, same currency. Says nothing about status; the caller checks `status === 'succeeded'`.
 */
export function matchesOrder(order: ExpectedOrder, confirmed: PaymentSnapshot): OrderMatch {
  const mismatches: OrderMismatch[] = [];
  if (confirmed.orderId !== order.id) mismatches.push('order-id');
  if (confirmed.amountKopecks !== order.amountKopecks) mismatches.push('amount');
  if (confirmed.currency.toUpperCase() !== order.currency.toUpperCase()) mismatches.push('currency');
  return mismatches.length === 0 ? { ok: true } : { ok: false, mismatches };
}
