import { z } from 'zod';
import { idColumn, moneyColumn, timestampColumn } from './columns';

/**
 * `subscription_plans.features`: the seed's keys, all optional; unknown keys are kept.
 * traffic_limit is bytes (null = unlimited), discount a whole percent shown to the user.
 */
export const planFeatures = z.looseObject({
  traffic_limit: z.number().int().nonnegative().nullable().optional(),
  servers: z.string().optional(),
  devices: z.number().int().positive().optional(),
  discount: z.number().int().min(0).max(100).optional(),
});

/** A `subscription_plans` row. `price_rub` is RUB as decimal text. */
export const subscriptionPlanRow = z.object({
  id: idColumn,
  /** The Russian name (the seed's). */
  name: z.string(),
  /** The English name (migration 0019); null = fall back to `name`. */
  name_en: z.string().nullable(),
  duration_days: z.number().int().positive(),
  price_rub: moneyColumn,
  features: planFeatures.nullable(),
  is_active: z.boolean(),
  created_at: timestampColumn,
});

/** A `subscription_plans` row. */
export type SubscriptionPlanRow = z.infer<typeof subscriptionPlanRow>;
