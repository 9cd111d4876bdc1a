import type { DatabasePool } from '../lib/db/create-pool';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import type { PurchaseService } from '../usecases/start-purchase';
import type { RenewalService } from './features/renewal';

/**
 * Renewal with the same key, on the purchase service: another period of the user's own
 * subscription on its own plan (`renewSubscriptionId`), paid by any method including the balance;
 * the user's pending promo applies as for any purchase. A subscription that is not the user's, is
 * gone or has no plan is refused as 'not-renewable' before any order exists; the purchase service
 * refuses pending, cancelled and long-ended ones the same way, inside its transaction.
 */
export function createRenewalService(deps: { db: DatabasePool; purchases: PurchaseService }): RenewalService {
  return {
    async startRenewal({ userId, subscriptionId, method }) {
      const subscription = await getSubscription(deps.db, subscriptionId);
      if (subscription === null || subscription.user_id !== userId || subscription.plan_id === null)
        return { kind: 'rejected', reason: 'not-renewable' };
      return deps.purchases.startPurchase({ userId, planId: subscription.plan_id, method, renewSubscriptionId: subscription.id });
    },
  };
}
