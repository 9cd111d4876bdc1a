import type { DatabasePool } from '../lib/db/create-pool';
import { parseMoney } from '../lib/money';
import type { PurchaseService } from '../usecases/start-purchase';
import type { createStarsCheckout } from '../usecases/stars-checkout';
import type { TrialService } from '../usecases/start-trial';
import { getPlan, listActivePlans } from '../sql/repositories/plans-repository';
import { findUsablePromo } from '../sql/repositories/promo-codes-repository';
import { getReferralStats } from '../sql/repositories/referral-stats-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { getSubscription, listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { getOrCreateUser, getUserById, getUserByTelegramId, setAutoRenew, setUserLanguage } from '../sql/repositories/users-repository';
import type { BotPlan, BotServices, PaymentMethod, RememberedPromo, SubscriptionDetails } from './bot-services';

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
  /** Public base URL of the api, no trailing slash: subscription links are `<this>/sub/<token>`; without it none are shown. */
  publicBaseUrl?: string | undefined;
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
  const subUrl = (token: string) => (deps.publicBaseUrl === undefined ? {} : { subscriptionUrl: `${deps.publicBaseUrl}/sub/${token}` });
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
      return user === null ? null : { userId: user.id, languageCode: user.language_code };
    },
    async setLanguage(input) {
      await setUserLanguage(deps.db, { userId: input.userId, languageCode: input.language, actor: { type: 'user', userId: input.userId } });
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
        ...(subscription.vpn_key === null ? {} : subUrl(subscription.sub_token)),
      }));
    },
    async subscriptionDetails({ userId, subscriptionId }) {
      const subscription = await getSubscription(deps.db, subscriptionId);
      if (subscription === null || subscription.user_id !== userId) return null;
      const [plan, server] = await Promise.all([
        subscription.plan_id === null ? null : getPlan(deps.db, subscription.plan_id),
        subscription.server_id === null ? null : getServer(deps.db, subscription.server_id),
      ]);
      const vpnKey = subscription.vpn_key;
      return {
        id: subscription.id,
        planName: plan?.name ?? '—',
        status: subscription.status,
        endsAt: subscription.end_date,
        ...(vpnKey === null ? {} : { vpnKey, ...subUrl(subscription.sub_token) }),
        trafficUsedBytes: subscription.traffic_used,
        trafficLimitBytes: plan?.features?.traffic_limit ?? null,
        ...(plan?.features?.devices === undefined ? {} : { devices: plan.features.devices }),
        ...(server === null || vpnKey === null ? {} : { server: { name: server.name, location: server.location } }),
      } satisfies SubscriptionDetails;
    },
    async accountSummary(userId) {
      const [user, referrals] = await Promise.all([getUserById(deps.db, userId), getReferralStats(deps.db, userId)]);
      return {
        balanceKopecks: user === null ? 0 : Number(parseMoney(user.balance)),
        referralCode: user?.referral_code ?? '',
        invitedCount: referrals.invited,
        bonusEarnedKopecks: Number(parseMoney(referrals.bonus)),
      };
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
