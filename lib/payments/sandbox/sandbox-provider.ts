/**
 * The client side of the local sandbox provider (see sandbox-server.ts) as a {@link PaymentProvider}:
 * invoices, status, cancellation and refunds over its JSON API, and webhooks verified by their
 * HMAC-SHA-256 signature (sandbox secret) over the raw body, like a real provider's.
 */
import { z } from 'zod';
import { parseMoney } from '../../money';
import {
  PaymentAuthError,
  PaymentNotFoundError,
  PaymentRejectedError,
  PaymentUnavailableError,
  WebhookRejectedError,
} from '../payment-errors';
import { verifyHmacSha256Hex } from '../hmac-signature';
import type { NotificationEvent, PaymentProvider, PaymentSnapshot } from '../payment-provider';
import { headerValue, parseJsonText, sendProviderRequest, type PaymentLogger } from '../provider-http';
import { assertIdempotencyKey, optionalDate, orderIdText, positiveAmountText } from '../provider-values';
import {
  SANDBOX_SIGNATURE_HEADER,
  sandboxErrorSchema,
  sandboxInvoiceSchema,
  sandboxNotificationSchema,
  sandboxRefundSchema,
  type SandboxInvoice,
} from './sandbox-schemas';

/** Options of {@link createSandboxProvider}. */
export interface SandboxProviderOptions {
  /** Base URL of the running sandbox (`startSandboxCheckout().url`). */
  baseUrl: string;
  /** The sandbox secret (API bearer and webhook HMAC key). */
  secret: string;
  /** Bound on each HTTP exchange, in milliseconds; default 5000. */
  timeoutMs?: number | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  logger?: PaymentLogger | undefined;
}

const createdSchema = z.object({ invoice: sandboxInvoiceSchema, confirmationUrl: z.string() });
const EVENT_KIND = { 'payment.succeeded': 'succeeded', 'payment.canceled': 'canceled', 'refund.succeeded': 'refunded' } as const;

/** Creates the sandbox provider client. */
export function createSandboxProvider(options: SandboxProviderOptions): Required<Omit<PaymentProvider, 'fetchRefund'>> {
  const root = options.baseUrl.replace(/\/+$/, '');
  const ctx = {
    provider: 'sandbox' as const,
    timeoutMs: options.timeoutMs ?? 5000,
    fetch: options.fetch ?? globalThis.fetch,
    logger: options.logger,
  };

  async function call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    route: string,
    json: unknown,
    schema: S,
  ): Promise<z.infer<S>> {
    const response = await sendProviderRequest(ctx, {
      method,
      url: root + path,
      route,
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${options.secret}`,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    const where = `${method} ${route}`;
    const body = parseJsonText(response.text);
    if (response.status === 200) {
      const parsed = schema.safeParse(body);
      if (parsed.success) return parsed.data;
      throw new PaymentUnavailableError('sandbox', `${where}: unexpected answer`, {
        reason: 'bad-response',
        status: 200,
        cause: parsed.error,
      });
    }
    const code = sandboxErrorSchema.safeParse(body).data?.error ?? '';
    if (response.status === 401) throw new PaymentAuthError('sandbox', `${where}: HTTP 401: check the sandbox secret`);
    if (response.status === 404) throw new PaymentNotFoundError('sandbox', `${where}: HTTP 404`);
    if (response.status >= 500)
      throw new PaymentUnavailableError('sandbox', `${where}: HTTP ${response.status}`, { reason: 'http-status', status: response.status });
    throw new PaymentRejectedError('sandbox', `${where}: HTTP ${response.status} ${code}`, { status: response.status, providerCode: code });
  }

  async function fetchStatus(externalId: string): Promise<PaymentSnapshot> {
    return snapshotOf(
      await call('GET', `/api/invoices/${encodeURIComponent(externalId)}`, '/api/invoices/{id}', undefined, sandboxInvoiceSchema),
    );
  }

  return {
    name: 'sandbox',
    async createInvoice(input) {
      assertIdempotencyKey(input.idempotencyKey);
      const { invoice, confirmationUrl } = await call(
        'POST',
        '/api/invoices',
        '/api/invoices',
        {
          orderId: Number(orderIdText(input.orderId)),
          amount: positiveAmountText(input.amountKopecks),
          currency: input.currency,
          description: input.description,
          method: input.method,
          returnUrl: input.returnUrl,
          idempotencyKey: input.idempotencyKey,
        },
        createdSchema,
      );
      return { externalId: invoice.id, confirmationUrl, expiresAt: new Date(invoice.expiresAt) };
    },
    fetchStatus,
    async cancelInvoice(externalId) {
      await call('POST', `/api/invoices/${encodeURIComponent(externalId)}/cancel`, '/api/invoices/{id}/cancel', {}, sandboxInvoiceSchema);
    },
    async refund(input) {
      assertIdempotencyKey(input.idempotencyKey);
      const refund = await call(
        'POST',
        '/api/refunds',
        '/api/refunds',
        { invoiceId: input.externalId, amount: positiveAmountText(input.amountKopecks), idempotencyKey: input.idempotencyKey },
        sandboxRefundSchema,
      );
      return { refundId: refund.id, status: refund.status, amountKopecks: parseMoney(refund.amount) };
    },
    parseNotification(input): NotificationEvent {
      if (!verifyHmacSha256Hex(options.secret, input.rawBody, headerValue(input.headers, SANDBOX_SIGNATURE_HEADER))) {
        throw new WebhookRejectedError('sandbox', 'bad-signature', 'sandbox webhook signature missing or wrong');
      }
      const parsed = sandboxNotificationSchema.safeParse(parseJsonText(input.rawBody.toString('utf8')));
      if (!parsed.success) throw new WebhookRejectedError('sandbox', 'malformed', 'not a sandbox webhook', { cause: parsed.error });
      const { event, invoice } = parsed.data;
      return {
        provider: 'sandbox',
        eventKey: `${invoice.id}:${event}`,
        externalId: invoice.id,
        orderId: invoice.orderId,
        kind: EVENT_KIND[event],
      };
    },
    confirmNotification: (event) => fetchStatus(event.externalId),
  };
}

function snapshotOf(invoice: SandboxInvoice): PaymentSnapshot {
  const paidAt = optionalDate(invoice.paidAt);
  const refunded = parseMoney(invoice.refundedAmount);
  return {
    externalId: invoice.id,
    status: invoice.status,
    amountKopecks: parseMoney(invoice.amount),
    currency: invoice.currency,
    orderId: invoice.orderId,
    ...(paidAt ? { paidAt } : {}),
    ...(refunded > 0n ? { refundedKopecks: refunded } : {}),
  };
}
