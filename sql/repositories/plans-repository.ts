import { sql, type CommonQueryMethods } from 'slonik';
import { subscriptionPlanRow, type SubscriptionPlanRow } from '../schemas/subscription-plan-row';

/** Plans offered to users (is_active), cheapest first. */
export async function listActivePlans(connection: CommonQueryMethods): Promise<readonly SubscriptionPlanRow[]> {
  return connection.any(sql.type(subscriptionPlanRow)`
    SELECT * FROM subscription_plans WHERE is_active ORDER BY price_rub, duration_days, id
  `);
}

/** The plan with this id (active or not), or null. */
export async function getPlan(connection: CommonQueryMethods, planId: number): Promise<SubscriptionPlanRow | null> {
  return connection.maybeOne(sql.type(subscriptionPlanRow)`SELECT * FROM subscription_plans WHERE id = ${planId}`);
}

/** Every plan, sold or retired (names of plans old subscriptions and gifts were bought on). */
export async function listAllPlans(connection: CommonQueryMethods): Promise<readonly SubscriptionPlanRow[]> {
  return connection.any(sql.type(subscriptionPlanRow)`SELECT * FROM subscription_plans ORDER BY id`);
}
