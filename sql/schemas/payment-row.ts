import { z } from 'zod';
import { idColumn, jsonColumn, moneyColumn, timestampColumn } from './columns';

/** How the user paid. */
export const paymentMethod = z.enum(['sbp', 'card', 'crypto', 'stars', 'balance']);

/** One of {@link paymentMethod}. */
export type PaymentMethod = z.infer<typeof paymentMethod>;

/** Payment lifecycle: pending -> completed | failed | cancelled; completed -> refunded. */
export const paymentStatus = z.enum(['pending', 'completed', 'failed', 'cancelled', 'refunded']);

/** One of {@link paymentStatus}. */
export type PaymentStatus = z.infer<typeof paymentStatus>;

/** A `payments` row. `amount` is decimal text in `currency` units (RUB, or whole XTR Stars). */
export const paymentRow = z.object({
  id: idColumn,
  user_id: idColumn,
  subscription_id: idColumn.nullable(),
  amount: moneyColumn,
  currency: z.string().length(3),
  payment_method: paymentMethod,
  status: paymentStatus,
  external_id: z.string().nullable(),
  external_data: jsonColumn,
  webhook_received_at: timestampColumn.nullable(),
  created_at: timestampColumn,
  updated_at: timestampColumn,
  provider: z.string(),
  idempotency_key: z.string().nullable(),
  completed_at: timestampColumn.nullable(),
  applied_at: timestampColumn.nullable(),
  refunded_at: timestampColumn.nullable(),
  /** The promo code that discounted it (0010), or null for a full-price payment. */
  promo_code_id: idColumn.nullable(),
  /** The undiscounted price in `currency` units; set exactly when `promo_code_id` is. */
  list_price: moneyColumn.nullable(),
});

/** A `payments` row. */
export type PaymentRow = z.infer<typeof paymentRow>;
