import type { DatabasePool } from '../lib/db/create-pool';
import { parseMoney } from '../lib/money';
import type { PurchaseService } from '../usecases/start-purchase';
import type { createStarsCheckout } from '../usecases/stars-checkout';
import type { TrialService } from '../usecases/start-trial';
import { listActivePlans } from '../sql/repositories/plans-repository';
import { findUsablePromo } from '../sql/repositories/promo-codes-repository';
import { listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { getOrCreateUser, getUserById, getUserByTelegramId, setAutoRenew } from '../sql/repositories/users-repository';
import type { BotPlan, BotServices, PaymentMethod, RememberedPromo } from './bot-services';

/** How long a /promo code is remembered for the user's next purchase. */
export const PROMO_MEMORY_MS = 30 * 60 * 1000;

/** Dependencies of {@link createBotServices}. */
export interface BotServicesDeps {
  db: DatabasePool;
  /** Telegram ids of operators. */
  adminTelegramIds: readonly number[];
  /** Payment methods this deployment offers when `purchases` is absent; none until a provider is configured. */
  paymentMethods: readonly PaymentMethod[];
  /** Purchases through payment workflows (usecases/); without it purchases are refused. */
  purchases?: PurchaseService | undefined;
  /** Telegram Stars checkout (usecases/stars-checkout.ts); without it Stars checkouts are refused. */
  stars?: ReturnType<typeof createStarsCheckout> | undefined;
  /** Free trials (usecases/start-trial.ts); without it /trial answers that trials are unavailable. */
  trial?: TrialService | undefined;
  /** The clock (tests); default `() => new Date()`. */
  now?: (() => Date) | undefined;
}

/**
 * The bot's product services backed by Postgres. Purchases go through `deps.purchases` (payment
 * workflows) and are refused politely as 'method-unavailable' without it; trials go through
 * `deps.trial` (subscription workflows); everything else reads and writes the real tables.
 */
export function createBotServices(deps: BotServicesDeps): BotServices {
  const now = deps.now ?? (() => new Date());
  /**
   * /promo codes by user id, in this process's memory: a restart (or another bot replica) forgets
   * them and the user types /promo again. The database decides at purchase time anyway.
   */
  const promos = new Map<number, RememberedPromo & { expiresAt: number }>();
  const remembered = (userId: number): RememberedPromo | null => {
    const entry = promos.get(userId);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now().getTime()) {
      promos.delete(userId);
      return null;
    }
    return { code: entry.code, percentOff: entry.percentOff };
  };
  return {
    async registerUser(input) {
      const { user, created } = await getOrCreateUser(deps.db, input);
      return { userId: user.id, isNew: created };
    },
    async findUser(telegramId) {
      const user = await getUserByTelegramId(deps.db, telegramId);
      return user === null ? null : { userId: user.id };
    },
    async listPlans() {
      const plans = await listActivePlans(deps.db);
      return plans.map(
        (plan): BotPlan => ({
          id: plan.id,
          name: plan.name,
          durationDays: plan.duration_days,
          priceKopecks: Number(parseMoney(plan.price_rub)),
          features: {
            ...(plan.features?.devices === undefined ? {} : { devices: plan.features.devices }),
            ...(plan.features?.discount === undefined ? {} : { discountPercent: plan.features.discount }),
            trafficLimitGb:
              plan.features?.traffic_limit === undefined || plan.features.traffic_limit === null
                ? null
                : Math.round(plan.features.traffic_limit / 1024 ** 3),
          },
        }),
      );
    },
    async paymentMethods() {
      return deps.purchases?.paymentMethods() ?? deps.paymentMethods;
    },
    async rememberPromoCode(input) {
      const promo = await findUsablePromo(deps.db, { code: input.code, userId: input.userId, now: now() });
      if (promo === null) return null;
      for (const [userId, entry] of promos) if (entry.expiresAt <= now().getTime()) promos.delete(userId);
      promos.set(input.userId, { code: promo.code, percentOff: promo.percent_off ?? 0, expiresAt: now().getTime() + PROMO_MEMORY_MS });
      return { code: promo.code, percentOff: promo.percent_off ?? 0 };
    },
    async rememberedPromo(userId) {
      return remembered(userId);
    },
    async startPurchase(input) {
      if (deps.purchases === undefined) return { kind: 'rejected', reason: 'method-unavailable' };
      const promo = remembered(input.userId);
      const result = await deps.purchases.startPurchase(promo === null ? input : { ...input, promoCode: promo.code });
      if (promo !== null && (result.kind !== 'rejected' || result.reason === 'promo-invalid')) promos.delete(input.userId);
      return result;
    },
    async mySubscriptions(userId) {
      const [subscriptions, plans] = await Promise.all([listUserSubscriptions(deps.db, userId), listActivePlans(deps.db)]);
      const planNames = new Map(plans.map((plan) => [plan.id, plan.name]));
      return subscriptions.map((subscription) => ({
        id: subscription.id,
        planName: (subscription.plan_id === null ? undefined : planNames.get(subscription.plan_id)) ?? '—',
        status: subscription.status === 'pending' ? 'pending' : subscription.status,
        endsAt: subscription.end_date,
      }));
    },
    async checkStarsCheckout(checkout) {
      return deps.stars?.checkStarsCheckout(checkout) ?? { ok: false, reason: 'unknown-order' };
    },
    async completeStarsPayment(payment) {
      return deps.stars?.completeStarsPayment(payment) ?? { status: 'duplicate' };
    },
    trialDays() {
      return deps.trial?.trialDays() ?? null;
    },
    async startTrial(input) {
      if (deps.trial === undefined) return { kind: 'refused', reason: 'unavailable' };
      const result = await deps.trial.startTrial(input);
      return result.kind === 'started' ? { kind: 'started', days: result.days } : result;
    },
    async getAutoRenew(userId) {
      return (await getUserById(deps.db, userId))?.auto_renew ?? false;
    },
    async setAutoRenew(input) {
      await setAutoRenew(deps.db, { ...input, actor: { type: 'user', userId: input.userId } });
    },
    async isAdmin(telegramId) {
      return deps.adminTelegramIds.includes(telegramId);
    },
  };
}
