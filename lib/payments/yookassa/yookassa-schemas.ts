/**
 * zod schemas of the YooKassa API v3 answers and notifications this module reads. Objects are not
 * strict: YooKassa adds fields over time, and only the fields below are relied on.
 */
import { z } from 'zod';

/** `{ value: "299.00", currency: "RUB" }`. */
export const yookassaAmountSchema = z.object({ value: z.string(), currency: z.string().length(3) });

/** Payment statuses (`waiting_for_capture` only with `capture: false`, which this module never sends). */
export const yookassaPaymentStatus = z.enum(['pending', 'waiting_for_capture', 'succeeded', 'canceled']);

/** A payment object (`POST /payments`, `GET /payments/{id}`, notification `object`). */
export const yookassaPaymentSchema = z.object({
  id: z.string().min(1),
  status: yookassaPaymentStatus,
  paid: z.boolean(),
  amount: yookassaAmountSchema,
  description: z.string().optional(),
  created_at: z.string(),
  captured_at: z.string().optional(),
  expires_at: z.string().optional(),
  confirmation: z.object({ type: z.string(), confirmation_url: z.string().optional() }).optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  refundable: z.boolean().optional(),
  refunded_amount: yookassaAmountSchema.optional(),
  cancellation_details: z.object({ party: z.string(), reason: z.string() }).optional(),
  test: z.boolean().optional(),
});

/** A YooKassa payment. */
export type YooKassaPayment = z.infer<typeof yookassaPaymentSchema>;

/** A refund object (`POST /refunds`, `GET /refunds/{id}`). */
export const yookassaRefundSchema = z.object({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  status: z.enum(['pending', 'succeeded', 'canceled']),
  amount: yookassaAmountSchema,
  created_at: z.string(),
});

/** A YooKassa refund. */
export type YooKassaRefund = z.infer<typeof yookassaRefundSchema>;

/** The error body of 4xx/5xx answers. */
export const yookassaErrorSchema = z.object({
  type: z.literal('error'),
  id: z.string().optional(),
  code: z.string(),
  description: z.string().optional(),
  parameter: z.string().optional(),
});

/** The body of a 202 answer: repeat the same request after `retry_after` milliseconds. */
export const yookassaProcessingSchema = z.object({
  type: z.string().optional(),
  retry_after: z.number().nonnegative().optional(),
});

/** An HTTP notification: `{ type: "notification", event, object }`. Only the fields used for routing. */
export const yookassaNotificationSchema = z.object({
  type: z.literal('notification'),
  event: z.string().min(1),
  object: z.object({
    id: z.string().min(1),
    /** Present on refund objects: the refunded payment. */
    payment_id: z.string().min(1).optional(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
  }),
});

/** Notification events this product acts on. */
export const YOOKASSA_EVENTS = {
  'payment.succeeded': 'succeeded',
  'payment.canceled': 'canceled',
  'refund.succeeded': 'refunded',
} as const;
