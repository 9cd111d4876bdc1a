/**
 * YooKassa (card and SBP) as a {@link PaymentProvider}: one-stage payments (`capture: true`) with a
 * redirect confirmation, `metadata.orderId` carrying `payments.id`, refunds through `POST /refunds`,
 * and notifications verified by source IP. Notifications are unsigned, so `confirmNotification`
 * (re-fetching the payment with the shop's credentials) is the real guarantee; call it always.
 */
import { parseMoney, type Kopecks } from '../../money';
import { PaymentUnavailableError, WebhookRejectedError } from '../payment-errors';
import type {
  CreateInvoiceInput,
  CreatedInvoice,
  NotificationEvent,
  NotificationInput,
  PaymentProvider,
  PaymentSnapshot,
  ProviderPaymentStatus,
  RefundInput,
  RefundResult,
} from '../payment-provider';
import { parseJsonText } from '../provider-http';
import { createIpAllowlist } from '../ip-allowlist';
import { assertIdempotencyKey, optionalDate, orderIdText, parseOrderIdText, positiveAmountText, truncateText } from '../provider-values';
import { createYooKassaHttp, type YooKassaHttpOptions } from './yookassa-http';
import {
  YOOKASSA_EVENTS,
  yookassaNotificationSchema,
  yookassaPaymentSchema,
  yookassaRefundSchema,
  type YooKassaPayment,
} from './yookassa-schemas';

/**
 * The notification source addresses YooKassa publishes (webhooks page, `#ip`). IPv6 as the
 * published /32; the 2022 SDKs list four /64s inside it.
 */
export const YOOKASSA_WEBHOOK_IPS: readonly string[] = Object.freeze([
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.156.11',
  '77.75.156.35',
  '77.75.154.128/25',
  '2a02:5180::/32',
]);

/** YooKassa's limit on `description`. */
const MAX_DESCRIPTION = 128;

/** Options of {@link createYooKassaProvider}. */
export interface YooKassaProviderOptions extends YooKassaHttpOptions {
  /** CIDRs/addresses notifications may come from; default {@link YOOKASSA_WEBHOOK_IPS}. */
  webhookAllowlist?: readonly string[] | undefined;
}

/**
 * Creates the YooKassa provider for one shop.
 * @throws RangeError when an allowlist entry is not an address or CIDR
 */
export function createYooKassaProvider(options: YooKassaProviderOptions): PaymentProvider & Required<Pick<PaymentProvider, 'refund'>> {
  const http = createYooKassaHttp(options);
  const allowlist = createIpAllowlist(options.webhookAllowlist ?? YOOKASSA_WEBHOOK_IPS);

  async function createInvoice(input: CreateInvoiceInput): Promise<CreatedInvoice> {
    assertIdempotencyKey(input.idempotencyKey);
    const value = positiveAmountText(input.amountKopecks);
    if (input.method === 'crypto') throw new RangeError('YooKassa takes card or sbp, not crypto');
    const payment = await http.call({
      method: 'POST',
      path: '/payments',
      route: '/payments',
      idempotenceKey: input.idempotencyKey,
      json: {
        amount: { value, currency: input.currency },
        capture: true,
        confirmation: { type: 'redirect', return_url: input.returnUrl },
        payment_method_data: { type: input.method === 'card' ? 'bank_card' : 'sbp' },
        description: truncateText(input.description, MAX_DESCRIPTION),
        metadata: { orderId: orderIdText(input.orderId) },
      },
      schema: yookassaPaymentSchema,
    });
    const confirmationUrl = payment.confirmation?.confirmation_url;
    if (confirmationUrl === undefined) {
      throw new PaymentUnavailableError('yookassa', 'POST /payments: the payment has no confirmation_url', {
        reason: 'bad-response',
        status: 200,
      });
    }
    const expiresAt = optionalDate(payment.expires_at);
    return { externalId: payment.id, confirmationUrl, ...(expiresAt ? { expiresAt } : {}) };
  }

  async function fetchStatus(externalId: string): Promise<PaymentSnapshot> {
    const payment = await http.call({
      method: 'GET',
      path: `/payments/${encodeURIComponent(externalId)}`,
      route: '/payments/{id}',
      schema: yookassaPaymentSchema,
    });
    return snapshotOf(payment);
  }

  async function refund(input: RefundInput): Promise<RefundResult> {
    assertIdempotencyKey(input.idempotencyKey);
    const value = positiveAmountText(input.amountKopecks);
    const refund = await http.call({
      method: 'POST',
      path: '/refunds',
      route: '/refunds',
      idempotenceKey: input.idempotencyKey,
      json: { payment_id: input.externalId, amount: { value, currency: 'RUB' } },
      schema: yookassaRefundSchema,
    });
    return { refundId: refund.id, status: refund.status, amountKopecks: amountOf('/refunds', refund.amount.value) };
  }

  async function fetchRefund(refundId: string): Promise<RefundResult> {
    const refund = await http.call({
      method: 'GET',
      path: `/refunds/${encodeURIComponent(refundId)}`,
      route: '/refunds/{id}',
      schema: yookassaRefundSchema,
    });
    return { refundId: refund.id, status: refund.status, amountKopecks: amountOf('/refunds/{id}', refund.amount.value) };
  }

  function parseNotification(input: NotificationInput): NotificationEvent {
    if (!allowlist.allows(input.sourceIp)) {
      throw new WebhookRejectedError('yookassa', 'ip-not-allowed', 'notification from an address outside the YooKassa allowlist');
    }
    const parsed = yookassaNotificationSchema.safeParse(parseJsonText(input.rawBody.toString('utf8')));
    if (!parsed.success) {
      throw new WebhookRejectedError('yookassa', 'malformed', 'notification is not { type: "notification", event, object }', {
        cause: parsed.error,
      });
    }
    const { event, object } = parsed.data;
    const kind = event in YOOKASSA_EVENTS ? YOOKASSA_EVENTS[event as keyof typeof YOOKASSA_EVENTS] : 'other';
    const isRefund = event.startsWith('refund.');
    if (isRefund && object.payment_id === undefined) {
      throw new WebhookRejectedError('yookassa', 'malformed', 'refund notification without payment_id');
    }
    const orderId = object.metadata?.['orderId'];
    return {
      provider: 'yookassa',
      eventKey: `${object.id}:${event}`,
      externalId: isRefund && object.payment_id !== undefined ? object.payment_id : object.id,
      orderId: typeof orderId === 'string' ? parseOrderIdText(orderId) : null,
      kind,
    };
  }

  return {
    name: 'yookassa',
    createInvoice,
    fetchStatus,
    refund,
    fetchRefund,
    parseNotification,
    confirmNotification: (event) => fetchStatus(event.externalId),
  };
}

function snapshotOf(payment: YooKassaPayment): PaymentSnapshot {
  const reason = payment.cancellation_details?.reason;
  const status: ProviderPaymentStatus =
    payment.status === 'succeeded' && payment.paid
      ? 'succeeded'
      : payment.status === 'canceled'
        ? reason === 'expired_on_confirmation'
          ? 'expired'
          : 'canceled'
        : 'pending';
  const orderId = payment.metadata?.['orderId'];
  const paidAt = status === 'succeeded' ? optionalDate(payment.captured_at) : undefined;
  return {
    externalId: payment.id,
    status,
    amountKopecks: amountOf('/payments/{id}', payment.amount.value),
    currency: payment.amount.currency,
    orderId: typeof orderId === 'string' ? parseOrderIdText(orderId) : null,
    ...(paidAt ? { paidAt } : {}),
    ...(payment.refunded_amount ? { refundedKopecks: amountOf('/payments/{id}', payment.refunded_amount.value) } : {}),
    ...(reason !== undefined && status !== 'succeeded' ? { cancellationReason: reason } : {}),
  };
}

function amountOf(route: string, value: string): Kopecks {
  try {
    return parseMoney(value);
  } catch (error) {
    throw new PaymentUnavailableError('yookassa', `${route}: amount is not decimal money`, { reason: 'bad-response', cause: error });
  }
}
