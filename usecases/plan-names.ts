/**
 * Plans carry a name per language (subscription_plans.name is Russian, name_en English, migration
 * 0019): the bot's screens and invoices, the payment pages and the worker's messages all name a
 * plan in the reader's language through this one function.
 */
import type { Locale } from '../texts/locale';
import type { SubscriptionPlanRow } from '../sql/schemas/subscription-plan-row';

/** The plan's name in `locale` (English falls back to the Russian name when none is set). */
export function planName(plan: Pick<SubscriptionPlanRow, 'name' | 'name_en'>, locale: Locale): string {
  return locale === 'en' ? (plan.name_en ?? plan.name) : plan.name;
}
