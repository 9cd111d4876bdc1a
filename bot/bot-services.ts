/**
 * What the bot asks of the rest of the system. The bot only talks to users; every product
 * decision (prices, orders, referrals, subscriptions) sits behind this interface, implemented
 * by the bot's composition root (Postgres + Temporal client) and by fakes in tests.
 */
import type { Locale } from '../texts/locale';

/** Payment methods, in the order the bot offers them. Stored in `payments.payment_method`. */
export const PAYMENT_METHODS = ['stars', 'sbp', 'card', 'crypto', 'balance'] as const;

/** One payment method: Telegram Stars, SBP or card (YooKassa), Crypto Pay, or the user's balance. */
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Plan features as shown to users (from `subscription_plans.features`). */
export interface PlanFeatures {
  /** Devices allowed at once. */
  devices?: number;
  /** Monthly traffic limit in GB; `null` means unlimited. */
  trafficLimitGb?: number | null;
  /** Discount against the monthly price, in percent. */
  discountPercent?: number;
}

/** A plan on sale. */
export interface BotPlan {
  id: number;
  name: string;
  durationDays: number;
  /** Price in kopecks (integer). */
  priceKopecks: number;
  features: PlanFeatures;
}

/** Input of {@link BotServices.registerUser}, taken from the Telegram user and the /start payload. */
export interface RegisterUserInput {
  telegramId: number;
  username?: string;
  firstName?: string;
  languageCode?: string;
  /** Referral code from a `start=ref_<code>` deep link, already validated. */
  referralCode?: string;
}

/** Why a purchase cannot start. */
export type PurchaseRejection =
  | 'plan-unavailable'
  | 'method-unavailable'
  | 'insufficient-balance'
  | 'promo-invalid'
  | 'not-renewable'
  /** A top-up amount outside the deployment's bounds or not in whole roubles. */
  | 'amount-invalid';

/**
 * A promo code the user applied (/promo), kept in the database (pending_promos) until an order
 * with it is paid: a restart or another bot replica still shows and applies it.
 */
export interface BotPromo {
  /** Upper-cased. */
  code: string;
  /** Whole percent off (a percent code), else null. */
  percentOff: number | null;
  /** Kopecks off (a fixed-amount code), else null. */
  amountOffKopecks: number | null;
}

/** A gift the user bought, as the gifts screen shows it. */
export interface BotGift {
  code: string;
  /** `https://t.me/<bot>?start=gift_<code>`: the first user to open it gets the subscription. */
  link: string;
  planName: string;
  status: 'awaiting-payment' | 'ready' | 'redeemed';
}

/** Outcome of {@link BotServices.redeemGift}. */
export type GiftRedemption =
  { kind: 'redeemed' } | { kind: 'refused'; reason: 'unknown' | 'not-paid' | 'already-redeemed' | 'unavailable' };

/** What the bot does next after {@link BotServices.startPurchase}. */
export type PurchaseStart =
  /** Send the user to a provider's payment page. */
  | { kind: 'redirect'; url: string }
  /** Send a Telegram Stars invoice; `payload` (1–128 bytes) comes back in the checkout updates. */
  | { kind: 'stars-invoice'; payload: string; stars: number }
  /** Paid already (e.g. from balance); the subscription workflow takes it from here. */
  | { kind: 'done' }
  | { kind: 'rejected'; reason: PurchaseRejection };

/** A subscription as the user sees it. */
export interface BotSubscription {
  id: number;
  planName: string;
  status: 'pending' | 'active' | 'expired' | 'cancelled';
  /** End of the paid period; `null` until provisioned. */
  endsAt: Date | null;
  /** The `/sub/<token>` URL to import into a client app, once provisioned. */
  subscriptionUrl?: string;
}

/** One subscription's own screen: everything a user needs to connect and to know what is left. */
export interface SubscriptionDetails extends BotSubscription {
  /** The VLESS share link, once provisioned. */
  vpnKey?: string;
  /** Bytes used in the current period. */
  trafficUsedBytes: number;
  /** The plan's traffic limit in bytes; `null` for unlimited. */
  trafficLimitBytes: number | null;
  /** Devices allowed at once, when the plan says. */
  devices?: number;
  /** Where the key connects, once provisioned. */
  server?: { name: string; location: string | null };
}

/** The Balance & referrals screen. */
export interface AccountSummary {
  /** Balance in kopecks. */
  balanceKopecks: number;
  /** The user's own code for `t.me/<bot>?start=ref_<code>`. */
  referralCode: string;
  /** Users who joined through the user's link. */
  invitedCount: number;
  /** Referral bonuses credited so far, in kopecks. */
  bonusEarnedKopecks: number;
}

/** A user as the bot knows them. */
export interface BotUser {
  userId: number;
  /** The stored language (IETF tag) the user chose or first came with; the worker's messages follow it. */
  languageCode?: string | null;
  /** Telegram answered 403 for this user (they blocked the bot); cleared when they write again. */
  blocked?: boolean;
}

/** Why a Stars pre-checkout query is refused. */
export type StarsCheckoutRejection = 'unknown-order' | 'amount-mismatch' | 'already-paid';

/** A Stars checkout as Telegram reports it (pre-checkout query or successful payment). */
export interface StarsCheckout {
  telegramId: number;
  invoicePayload: string;
  currency: string;
  /** Amount in Stars. */
  totalAmount: number;
}

/** Why the free trial is refused. */
export type TrialRefusal =
  /** The user already took their one trial (users.trial_used_at is set). */
  | 'already-used'
  /** The user has an active subscription. */
  | 'has-subscription'
  /** Trials are turned off, or there is no plan to attach one to. */
  | 'unavailable';

/** Outcome of {@link BotServices.startTrial}. */
export type TrialStart = { kind: 'started'; days: number } | { kind: 'refused'; reason: TrialRefusal };

/** The product actions the bot calls. Implementations must be idempotent where noted. */
export interface BotServices {
  /** Creates the user on first contact, or refreshes their profile. Idempotent by `telegramId`. */
  registerUser(input: RegisterUserInput): Promise<{ userId: number; isNew: boolean }>;
  /** The user with this Telegram id, if they ever sent /start (or wrote to the bot). */
  findUser(telegramId: number): Promise<BotUser | null>;
  /**
   * Claims Telegram update `updateId` before the bot handles it, durably (a redelivery after a
   * restart must find the claim), and returns the stored language of `telegramId` in the same round
   * trip. `fresh: false`: an earlier delivery claimed it; the bot ignores the update.
   */
  claimUpdate(input: {
    updateId: number;
    telegramId: number | undefined;
  }): Promise<{ fresh: boolean; user: BotUser | null; languageCode: string | null }>;
  /** Stores the user's language (`ru` or `en`); the bot and the worker's messages follow it. */
  setLanguage(input: { userId: number; language: 'ru' | 'en' }): Promise<void>;
  /** Plans on sale, in display order, named in `locale` (default Russian). */
  listPlans(locale?: Locale): Promise<BotPlan[]>;
  /** Payment methods enabled in this deployment, in display order. */
  paymentMethods(): Promise<readonly PaymentMethod[]>;
  /**
   * Checks a promo code the user typed and, when they may use it, stores it as their pending promo
   * (in the database) for their purchases until one is paid. Null when the code is unknown,
   * inactive, expired, used up or used by them.
   */
  applyPromo(input: { userId: number; code: string }): Promise<BotPromo | null>;
  /** The user's pending promo while it is still usable by them, if any. */
  pendingPromo(userId: number): Promise<BotPromo | null>;
  /**
   * Creates an order for a plan (or, with `gift`, a gift of it) and says how to pay for it; the
   * user's pending promo applies (reserved by the order, consumed when it is paid).
   */
  startPurchase(input: { userId: number; planId: number; method: PaymentMethod; gift?: boolean }): Promise<PurchaseStart>;
  /** Top-up bounds in whole roubles (TOP_UP_MIN_RUB, TOP_UP_MAX_RUB). */
  topUpBounds(): { min: number; max: number };
  /**
   * Creates a balance top-up order of `rub` whole roubles paid by `method` (any method on offer but
   * the balance) and says how to pay for it; its completion credits the balance.
   */
  startTopUp(input: { userId: number; rub: number; method: PaymentMethod }): Promise<PurchaseStart>;
  /** The gifts the user bought, newest first, plans named in `locale`. */
  giftsOf(userId: number, locale?: Locale): Promise<BotGift[]>;
  /** Redeems a gift code (`/start gift_<code>`): the first user to open it gets the subscription. */
  redeemGift(input: { userId: number; code: string }): Promise<GiftRedemption>;
  /** The user's subscriptions, newest first, plans named in `locale`. */
  mySubscriptions(userId: number, locale?: Locale): Promise<BotSubscription[]>;
  /**
   * One of the user's own subscriptions with its key, link, traffic, devices and server; null when
   * no subscription has this id or it belongs to someone else (forged or foreign button data).
   */
  subscriptionDetails(input: { userId: number; subscriptionId: number; locale?: Locale }): Promise<SubscriptionDetails | null>;
  /** Balance, referral code, invited users and bonus earned. */
  accountSummary(userId: number): Promise<AccountSummary>;
  /**
   * Cheap check run inside the 10 s pre-checkout window: order exists, amount matches, not paid.
   */
  checkStarsCheckout(checkout: StarsCheckout): Promise<{ ok: true } | { ok: false; reason: StarsCheckoutRejection }>;
  /**
   * Stores a successful Stars payment durably (the raw update, charge ids included) and hands it
   * to its settlement, which applies it to the order or refunds it.
   * Idempotent by `telegramPaymentChargeId`: a repeated delivery answers `duplicate`.
   * @throws when the charge could not be stored (the Stars reconciler settles it from Telegram's list)
   */
  completeStarsPayment(
    payment: StarsCheckout & { telegramPaymentChargeId: string; providerPaymentChargeId: string; raw?: Record<string, unknown> },
  ): Promise<{ status: 'accepted' | 'duplicate' }>;
  /** Trial length in days, or null when trials are turned off (the bot then hides the offer). */
  trialDays(): number | null;
  /**
   * Starts the user's free trial: a subscription workflow that provisions a key for the trial
   * period. Refuses when the trial was used, the user has an active subscription, or trials are off.
   * Safe to repeat: a second call before the grant lands reuses the same subscription.
   */
  startTrial(input: { userId: number }): Promise<TrialStart>;
  /** Whether renewal from balance is on for the user. */
  getAutoRenew(userId: number): Promise<boolean>;
  /** Turns renewal from balance on or off (audited as the user's change). */
  setAutoRenew(input: { userId: number; enabled: boolean }): Promise<void>;
  /** Whether this Telegram user may use operator commands. */
  isAdmin(telegramId: number): Promise<boolean>;
}
