import { z } from 'zod';
import { idColumn, moneyColumn, timestampColumn } from './columns';

/** A `promo_codes` row. `code` is upper case; `max_redemptions` null = unlimited. */
export const promoCodeRow = z.object({
  id: idColumn,
  code: z.string(),
  /** Whole percent off, 1..100; null for a fixed-amount code. */
  percent_off: z.number().int().min(1).max(100).nullable(),
  /** RUB off as decimal text (migration 0019); null for a percent code. */
  amount_off: moneyColumn.nullable(),
  max_redemptions: z.number().int().positive().nullable(),
  redeemed_count: z.number().int().nonnegative(),
  expires_at: timestampColumn.nullable(),
  is_active: z.boolean(),
  created_at: timestampColumn,
});

/** A `promo_codes` row. */
export type PromoCodeRow = z.infer<typeof promoCodeRow>;

/** A `promo_redemptions` row: one use of a code by a user, for one payment. */
export const promoRedemptionRow = z.object({
  id: idColumn,
  promo_code_id: idColumn,
  user_id: idColumn,
  payment_id: idColumn,
  created_at: timestampColumn,
  /** reserved: an order with the code is open; consumed: a payment with it completed (migration 0019). */
  status: z.enum(['reserved', 'consumed']),
  consumed_at: timestampColumn.nullable(),
});

/** A `promo_redemptions` row. */
export type PromoRedemptionRow = z.infer<typeof promoRedemptionRow>;
