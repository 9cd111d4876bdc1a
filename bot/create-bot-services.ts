import type { DatabasePool } from '../lib/db/create-pool';
import { parseMoney } from '../lib/money';
import type { PurchaseService } from '../usecases/start-purchase';
import type { createStarsCheckout } from '../usecases/stars-checkout';
import type { TrialService } from '../usecases/start-trial';
import { getPlan, listActivePlans, listAllPlans as listPlanRows } from '../sql/repositories/plans-repository';
import { createLanguageService } from '../usecases/set-language';
import { planName } from '../usecases/plan-names';
import { createPromoService, type AppliedPromo, type PromoService } from '../usecases/promo-codes';
import type { GiftService } from '../usecases/gifts';
import type { Locale } from '../texts/locale';
import { claimBotUpdate, pruneBotUpdates } from '../sql/repositories/bot-updates-repository';
import { getReferralStats } from '../sql/repositories/referral-stats-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { getSubscription, listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { getOrCreateUser, getUserById, getUserByTelegramId, setAutoRenew } from '../sql/repositories/users-repository';
import type { BotPlan, BotPromo, BotServices, PaymentMethod, SubscriptionDetails } from './bot-services';

/** How long update claims are kept (Telegram keeps an unconfirmed update 24 hours at most). */
export const UPDATE_CLAIM_RETENTION_MS = 48 * 3_600_000;
/** How often the bot deletes old update claims, at most. */
const UPDATE_PRUNE_INTERVAL_MS = 3_600_000;

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
  /** Pending promo codes (usecases/promo-codes.ts); default one on `db`. */
  promos?: PromoService | undefined;
  /** Gifts (usecases/gifts.ts); without it gift links are answered as unavailable. */
  gifts?: GiftService | undefined;
}

/** The bot's view of an applied promo code. */
function botPromo(promo: AppliedPromo): BotPromo {
  return {
    code: promo.code,
    percentOff: promo.percentOff,
    amountOffKopecks: promo.amountOffKopecks === null ? null : Number(promo.amountOffKopecks),
  };
}

/**
 * The bot's product services backed by Postgres. Purchases go through `deps.purchases` (payment
 * workflows) and are refused politely as 'method-unavailable' without it; trials go through
 * `deps.trial` (subscription workflows); everything else reads and writes the real tables.
 */
export function createBotServices(deps: BotServicesDeps): BotServices {
  const now = deps.now ?? (() => new Date());
  const promos = deps.promos ?? createPromoService({ db: deps.db, now });
  const language = createLanguageService({ db: deps.db });
  let lastPrune = 0;
  const subUrl = (token: string) => (deps.publicBaseUrl === undefined ? {} : { subscriptionUrl: `${deps.publicBaseUrl}/sub/${token}` });
  /** Names of every plan (sold or retired) in `locale`, by id. */
  const planNames = async (locale: Locale) => new Map((await listPlanRows(deps.db)).map((plan) => [plan.id, planName(plan, locale)]));
  return {
    async registerUser(input) {
      const { user, created } = await getOrCreateUser(deps.db, input);
      return { userId: user.id, isNew: created };
    },
    async findUser(telegramId) {
      const user = await getUserByTelegramId(deps.db, telegramId);
      return user === null ? null : { userId: user.id, languageCode: user.language_code, blocked: user.blocked_at != null };
    },
    async claimUpdate(input) {
      const claim = await claimBotUpdate(deps.db, input);
      const at = now().getTime();
      if (at - lastPrune >= UPDATE_PRUNE_INTERVAL_MS) {
        lastPrune = at;
        // Housekeeping off the update's path; a failure is retried an interval later.
        void pruneBotUpdates(deps.db, new Date(at - UPDATE_CLAIM_RETENTION_MS)).catch(() => undefined);
      }
      return claim;
    },
    async setLanguage(input) {
      await language.setLanguage(input.userId, input.language);
    },
    async listPlans(locale = 'ru') {
      const plans = await listActivePlans(deps.db);
      return plans.map((plan): BotPlan => ({
        id: plan.id,
        name: planName(plan, locale),
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
      }));
    },
    async paymentMethods() {
      return deps.purchases?.paymentMethods() ?? deps.paymentMethods;
    },
    async applyPromo(input) {
      const result = await promos.applyPromo(input.userId, input.code);
      return result.kind === 'applied' ? botPromo(result.promo) : null;
    },
    async pendingPromo(userId) {
      const promo = await promos.pendingPromo(userId);
      return promo === null ? null : botPromo(promo);
    },
    async startPurchase(input) {
      if (deps.purchases === undefined) return { kind: 'rejected', reason: 'method-unavailable' };
      // The pending promo (if any) is applied by the purchase service itself, from the database.
      return deps.purchases.startPurchase(
        input.gift === true ? input : { userId: input.userId, planId: input.planId, method: input.method },
      );
    },
    topUpBounds() {
      return deps.purchases?.topUpBounds() ?? { min: 50, max: 50_000 };
    },
    async startTopUp(input) {
      if (deps.purchases === undefined) return { kind: 'rejected', reason: 'method-unavailable' };
      return deps.purchases.startTopUp({ userId: input.userId, amountKopecks: BigInt(input.rub) * 100n, method: input.method });
    },
    async giftsOf(userId, locale = 'ru') {
      if (deps.gifts === undefined) return [];
      const [gifts, names] = await Promise.all([deps.gifts.giftsOf(userId), planNames(locale)]);
      return gifts.map((gift) => ({ code: gift.code, link: gift.link, status: gift.status, planName: names.get(gift.planId) ?? '—' }));
    },
    async redeemGift(input) {
      if (deps.gifts === undefined) return { kind: 'refused', reason: 'unavailable' };
      const result = await deps.gifts.redeemGift(input.userId, input.code);
      return result.kind === 'redeemed' ? { kind: 'redeemed' } : result;
    },
    async mySubscriptions(userId, locale = 'ru') {
      const [subscriptions, names] = await Promise.all([listUserSubscriptions(deps.db, userId), planNames(locale)]);
      return subscriptions.map((subscription) => ({
        id: subscription.id,
        planName: (subscription.plan_id === null ? undefined : names.get(subscription.plan_id)) ?? '—',
        status: subscription.status === 'pending' ? 'pending' : subscription.status,
        endsAt: subscription.end_date,
        ...(subscription.vpn_key === null ? {} : subUrl(subscription.sub_token)),
      }));
    },
    async subscriptionDetails({ userId, subscriptionId, locale = 'ru' }) {
      const subscription = await getSubscription(deps.db, subscriptionId);
      if (subscription === null || subscription.user_id !== userId) return null;
      const [plan, server] = await Promise.all([
        subscription.plan_id === null ? null : getPlan(deps.db, subscription.plan_id),
        subscription.server_id === null ? null : getServer(deps.db, subscription.server_id),
      ]);
      const vpnKey = subscription.vpn_key;
      return {
        id: subscription.id,
        planName: plan === null ? '—' : planName(plan, locale),
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
