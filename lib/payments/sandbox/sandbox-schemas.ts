/**
 * The wire format of the local sandbox payment provider, shared by its server and its client.
 * Amounts are two-decimal text, as with real providers. Webhooks carry `x-sandbox-signature`:
 * lowercase hex HMAC-SHA-256 of the raw body under the sandbox secret.
 */
import { z } from 'zod';

/** Header carrying the webhook signature. */
export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';

/** An invoice as the sandbox prints it. */
export const sandboxInvoiceSchema = z.object({
  id: z.string().min(1),
  orderId: z.number().int().positive(),
  amount: z.string().regex(/^\d+\.\d{2}$/),
  currency: z.string().length(3),
  description: z.string(),
  method: z.enum(['card', 'sbp', 'crypto']),
  returnUrl: z.string(),
  status: z.enum(['pending', 'succeeded', 'canceled', 'expired']),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  paidAt: z.iso.datetime().optional(),
  refundedAmount: z.string().regex(/^\d+\.\d{2}$/),
});

/** A sandbox invoice. */
export type SandboxInvoice = z.infer<typeof sandboxInvoiceSchema>;

/** `POST /api/invoices` body. */
export const sandboxCreateSchema = sandboxInvoiceSchema
  .pick({ orderId: true, amount: true, currency: true, description: true, method: true, returnUrl: true })
  .extend({ idempotencyKey: z.string().min(1).max(64) });

/** `POST /api/refunds` body. */
export const sandboxRefundRequestSchema = z.object({
  invoiceId: z.string().min(1),
  amount: z.string().regex(/^\d+\.\d{2}$/),
  idempotencyKey: z.string().min(1).max(64),
});

/** A refund as the sandbox prints it (refunds succeed at once). */
export const sandboxRefundSchema = z.object({ id: z.string(), invoiceId: z.string(), amount: z.string(), status: z.literal('succeeded') });

/** Webhook events. */
export const sandboxEvent = z.enum(['payment.succeeded', 'payment.canceled', 'refund.succeeded']);

/** A webhook body: `{ event, invoice }` (the invoice as of the event). */
export const sandboxNotificationSchema = z.object({ event: sandboxEvent, invoice: sandboxInvoiceSchema });

/** An error body. */
export const sandboxErrorSchema = z.object({ error: z.string(), message: z.string().optional() });
