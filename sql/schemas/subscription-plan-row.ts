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
  /** When set, the period in seconds instead of duration_days (test and bench plans; migration 0021). */
  duration_seconds: z.number().int().positive().nullable(),
  price_rub: moneyColumn,
  features: planFeatures.nullable(),
  is_active: z.boolean(),
  created_at: timestampColumn,
});

/** A `subscription_plans` row. */
export type SubscriptionPlanRow = z.infer<typeof subscriptionPlanRow>;

/** A period length: whole days, or seconds (a plan with duration_seconds). */
export interface PeriodLength {
  days: number;
  /** When set, the period is this many seconds and `days` is ignored. */
  seconds?: number;
}

/** The period one payment of `plan` buys. */
export function planPeriod(plan: Pick<SubscriptionPlanRow, 'duration_days' | 'duration_seconds'>): PeriodLength {
  return plan.duration_seconds === null ? { days: plan.duration_days } : { days: plan.duration_days, seconds: plan.duration_seconds };
}
