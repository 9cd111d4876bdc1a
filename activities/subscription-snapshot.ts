import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { SubscriptionSnapshot } from './contracts/lifecycle-activities';

/** What a workflow sees of a subscription row (plain JSON: times as ISO strings). */
export function toSnapshot(row: SubscriptionRow): SubscriptionSnapshot {
  return {
    subscriptionId: row.id,
    userId: row.user_id,
    planId: row.plan_id,
    status: row.status,
    endsAt: row.end_date?.toISOString() ?? null,
    serverId: row.server_id,
  };
}
