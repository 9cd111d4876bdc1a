/**
 * Starting a purchase from the bot, with no activity in between: find or create the pending
 * subscription (or, for a renewal, take the user's existing one), create the `payments` row, start `payment-{id}` with update-with-start and return
 * how the user pays (redirect URL, Stars invoice) or that it is done (balance).
 */
import { sql, type CommonQueryMethods } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { formatMoney, parseMoney, type Kopecks } from '../lib/money';
import type { PaymentProviders } from '../lib/payments/payments-config';
import { starsInvoicePayload } from '../lib/payments/stars/stars-payload';
import { MAX_STARS_SUBSCRIPTION_PRICE, rubToStars } from '../lib/payments/stars/rub-to-stars';
import type { Actor } from '../sql/repositories/audit-repository';
import { getBalance } from '../sql/repositories/ledger-repository';
import { createPayment } from '../sql/repositories/payments-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { clearPendingPromo, findUsablePromo, getPendingPromo, reservePromo } from '../sql/repositories/promo-codes-repository';
import { findPendingPayment, findUnpaidPendingSubscription } from '../sql/repositories/purchases-repository';
import { createPendingSubscription } from '../sql/repositories/subscriptions-repository';
import { createGift } from '../sql/repositories/gifts-repository';
import { createTopUp } from '../sql/repositories/top-ups-repository';
import type { PaymentMethod, PaymentRow } from '../sql/schemas/payment-row';
import { subscriptionRow, type SubscriptionRow } from '../sql/schemas/subscription-row';
import { availablePaymentMethods } from './available-methods';
import { discountedKopecks } from './promo-codes';
import { startPaymentAndWaitForInvoice, type PaymentWorkflowTarget } from '../clients/payment-workflow-client';

/** Why a purchase cannot start (the bot shows a text per reason). */
export type PurchaseRefusal =
  | 'plan-unavailable'
  | 'method-unavailable'
  | 'insufficient-balance'
  | 'promo-invalid'
  | 'not-renewable'
  /** A top-up outside TOP_UP_MIN_RUB..TOP_UP_MAX_RUB or not in whole roubles. */
  | 'amount-invalid';

/** Thrown inside the payment's transaction when the code was used up meanwhile, to roll it back. */
class PromoNoLongerUsable extends Error {}
/** Thrown inside the payment's transaction when the subscription to renew cannot be renewed. */
class NotRenewable extends Error {}

const HOUR_MS = 60 * 60 * 1000;
/** The lifecycle's default grace window (workflows/subscription-lifecycle.ts DEFAULT_LIFECYCLE_SETTINGS). */
const DEFAULT_GRACE_HOURS = 72;

/** How the user pays, or that they already did. Structurally the bot's `PurchaseStart`. */
export type PurchaseResult =
  | { kind: 'redirect'; url: string }
  | { kind: 'stars-invoice'; payload: string; stars: number }
  | { kind: 'done' }
  | { kind: 'rejected'; reason: PurchaseRefusal };

/** Dependencies of {@link createPurchaseService}. */
export interface PurchaseServiceDeps {
  db: DatabasePool;
  /** Temporal client, task queue and verdict timeout of payment workflows. */
  payments: PaymentWorkflowTarget;
  providers: PaymentProviders;
  /** Kopecks per Telegram Star, or 'disabled'. */
  starsKopecksPerStar: number | 'disabled';
  /** Methods the operator switched off (PAYMENT_METHODS_DISABLED); default none. */
  disabledMethods?: readonly PaymentMethod[] | undefined;
  logger?: Logger | undefined;
  /** Bound on waiting for the invoice, in milliseconds; default 15 000. */
  invoiceWaitMs?: number | undefined;
  /**
   * Hours after the end during which a renewal re-enables the same key (the worker's
   * LIFECYCLE_GRACE_HOURS); default 72, the lifecycle's default.
   */
  graceHours?: number | undefined;
  /** Top-up bounds in whole roubles (TOP_UP_MIN_RUB, TOP_UP_MAX_RUB); default 50 and 50 000. */
  topUpRub?: { min: number; max: number } | undefined;
}

/** What {@link PurchaseService.startTopUp} takes. */
export interface TopUpInput {
  userId: number;
  /** What the balance gets, in kopecks: whole roubles within the deployment's bounds. */
  amountKopecks: Kopecks;
  /** Any method on offer but the balance itself. */
  method: PaymentMethod;
}

/** The purchase service the bot uses. */
export interface PurchaseService {
  /** Methods on offer in this deployment, in display order. */
  paymentMethods(): PaymentMethod[];
  /**
   * Starts (or resumes) a purchase of `planId` by `method` for `userId`.
   * @throws database errors; Temporal failures are reported as 'method-unavailable'
   */
  startPurchase(input: PurchaseInput): Promise<PurchaseResult>;
  /** Top-up bounds in whole roubles. */
  topUpBounds(): { min: number; max: number };
  /**
   * Starts a balance top-up: an order without a subscription whose completion credits the balance
   * (sql/repositories/top-ups-repository.ts creditTopUpOfPayment). Each call is a new order.
   * @throws database errors; Temporal failures are reported as 'method-unavailable'
   */
  startTopUp(input: TopUpInput): Promise<PurchaseResult>;
}

/** What {@link PurchaseService.startPurchase} takes. */
export interface PurchaseInput {
  userId: number;
  planId: number;
  method: PaymentMethod;
  /**
   * A promo code as the user typed it (any case); an unusable one refuses with 'promo-invalid'.
   * Absent: the user's pending promo (usecases/promo-codes.ts applyPromo), if any, applies.
   */
  promoCode?: string | undefined;
  /**
   * Renew this subscription of the user instead of buying a new one: the payment extends it from
   * its current end (early renewal stacks) or, within the grace window after its end, from now,
   * with the same key. `planId` must be the subscription's plan. Refused with 'not-renewable' when
   * the subscription is not the user's, is pending or cancelled, or its grace window is over.
   */
  renewSubscriptionId?: number | undefined;
  /**
   * Buy the plan as a gift: the order has no subscription; once paid, its code (usecases/gifts.ts
   * giftsOf) lets the first user who opens the gift link get the subscription.
   */
  gift?: boolean | undefined;
}

type Price = { amount: string; currency: string; stars?: number };
type AppliedPromo = { promoCodeId: number; listPrice: string };

/** Builds the purchase service. */
export function createPurchaseService(deps: PurchaseServiceDeps): PurchaseService {
  const methods = availablePaymentMethods(deps.providers, deps.starsKopecksPerStar, deps.disabledMethods);
  const log = deps.logger?.child({ component: 'purchases' });

  function providerName(method: PaymentMethod): string | undefined {
    if (method === 'balance') return 'balance';
    if (method === 'stars') return 'telegram_stars';
    return deps.providers.forMethod(method)?.name;
  }

  /** The price in the method's currency: RUB, or whole Stars for 'stars'. */
  function priceOf(priceKopecks: Kopecks, method: PaymentMethod): Price | undefined {
    if (method !== 'stars') return { amount: formatMoney(priceKopecks), currency: 'RUB' };
    if (deps.starsKopecksPerStar === 'disabled') return undefined;
    const stars = rubToStars(priceKopecks, deps.starsKopecksPerStar);
    if (stars > MAX_STARS_SUBSCRIPTION_PRICE) return undefined;
    return { amount: `${stars}.00`, currency: 'XTR', stars };
  }

  /**
   * Creates the payment (reusing a pending full-price one when it can) and, for a promo order,
   * redeems the code in the same transaction: both commit or neither does.
   * @returns null when the promo code was used up between the check and the redemption;
   *   'not-renewable' when the subscription to renew cannot be renewed
   */
  async function paymentFor(
    input: PurchaseInput,
    price: Price,
    provider: string,
    promo: AppliedPromo | null,
    now: Date,
  ): Promise<PaymentRow | 'not-renewable' | null> {
    const actor: Actor = { type: 'user', userId: input.userId };
    try {
      return await paymentTransaction(input, price, provider, promo, now, actor);
    } catch (error) {
      if (error instanceof PromoNoLongerUsable) return null;
      if (error instanceof NotRenewable) return 'not-renewable';
      throw error;
    }
  }

  /** A gift's order: a payment without a subscription, and the gift it buys. */
  async function giftOrder(
    tx: CommonQueryMethods,
    input: PurchaseInput,
    price: Price,
    provider: string,
    promo: AppliedPromo | null,
    now: Date,
    actor: Actor,
  ): Promise<PaymentRow> {
    const { payment } = await createPayment(tx, {
      userId: input.userId,
      subscriptionId: null,
      amount: price.amount,
      currency: price.currency,
      method: input.method,
      provider,
      promo,
      actor,
    });
    if (
      promo !== null &&
      (await reservePromo(tx, { promoCodeId: promo.promoCodeId, userId: input.userId, paymentId: payment.id, now, actor })) === null
    )
      throw new PromoNoLongerUsable();
    await createGift(tx, { buyerUserId: input.userId, planId: input.planId, paymentId: payment.id, actor });
    return payment;
  }

  /**
   * The subscription a renewal pays for, locked: the user's own, on the chosen plan, active, or
   * expired less than the grace window ago (its client is only switched off, so the same key comes
   * back). A pending, cancelled or long-ended one (its client deleted) is 'not-renewable'.
   */
  async function renewable(tx: CommonQueryMethods, input: PurchaseInput, now: Date): Promise<SubscriptionRow | 'not-renewable'> {
    const row = await tx.maybeOne(
      sql.type(subscriptionRow)`SELECT * FROM subscriptions WHERE id = ${input.renewSubscriptionId ?? 0} FOR UPDATE`,
    );
    if (row === null || row.user_id !== input.userId || row.plan_id !== input.planId) return 'not-renewable';
    if (row.status === 'active') return row;
    const graceEnd = (row.end_date?.getTime() ?? 0) + (deps.graceHours ?? DEFAULT_GRACE_HOURS) * HOUR_MS;
    if (row.status === 'expired' && graceEnd > now.getTime()) return row;
    return 'not-renewable';
  }

  async function paymentTransaction(
    input: PurchaseInput,
    price: Price,
    provider: string,
    promo: AppliedPromo | null,
    now: Date,
    actor: Actor,
  ): Promise<PaymentRow> {
    return deps.db.transaction(async (tx) => {
      if (input.gift === true) return giftOrder(tx, input, price, provider, promo, now, actor);
      const existing =
        input.renewSubscriptionId === undefined
          ? await findUnpaidPendingSubscription(tx, { userId: input.userId, planId: input.planId })
          : await renewable(tx, input, now);
      if (existing === 'not-renewable') throw new NotRenewable();
      if (existing !== null && input.method !== 'balance') {
        const reusable = await findPendingPayment(tx, {
          subscriptionId: existing.id,
          method: input.method,
          ...price,
          promoCodeId: promo?.promoCodeId ?? null,
        });
        if (reusable !== null && reusable.provider === provider) {
          if (
            promo !== null &&
            (await reservePromo(tx, { promoCodeId: promo.promoCodeId, userId: input.userId, paymentId: reusable.id, now, actor })) === null
          )
            throw new PromoNoLongerUsable();
          return reusable;
        }
      }
      const subscription = existing ?? (await createPendingSubscription(tx, { userId: input.userId, planId: input.planId, actor }));
      const { payment } = await createPayment(tx, {
        userId: input.userId,
        subscriptionId: subscription.id,
        amount: price.amount,
        currency: price.currency,
        method: input.method,
        provider,
        promo,
        actor,
      });
      if (promo !== null) {
        // Reserved now, consumed when the payment completes, released if it is cancelled or fails.
        const reserved = await reservePromo(tx, {
          promoCodeId: promo.promoCodeId,
          userId: input.userId,
          paymentId: payment.id,
          now,
          actor,
        });
        if (reserved === null) throw new PromoNoLongerUsable();
      }
      return payment;
    });
  }

  /** Starts the payment's workflow and says how the user pays, or that it is over. */
  async function checkoutOf(payment: PaymentRow, method: PaymentMethod, stars: number | undefined): Promise<PurchaseResult> {
    let state;
    try {
      state = await startPaymentAndWaitForInvoice(deps.payments, payment, deps.invoiceWaitMs ?? 15_000);
    } catch (error) {
      log?.warn({ paymentId: payment.id, err: error instanceof Error ? error.name : 'unknown' }, 'payment workflow did not answer in time');
      return { kind: 'rejected', reason: 'method-unavailable' };
    }
    switch (state.phase) {
      case 'completed':
        return { kind: 'done' };
      case 'awaiting':
        if (method === 'stars' && stars !== undefined) return { kind: 'stars-invoice', payload: starsInvoicePayload(payment.id), stars };
        if (state.confirmationUrl !== null) return { kind: 'redirect', url: state.confirmationUrl };
        return { kind: 'rejected', reason: 'method-unavailable' };
      case 'failed':
        return {
          kind: 'rejected',
          reason: state.failureReason === 'insufficient-balance' ? 'insufficient-balance' : 'method-unavailable',
        };
      case 'creating':
      case 'cancelled':
        return { kind: 'rejected', reason: 'method-unavailable' };
    }
  }

  const topUpRub = deps.topUpRub ?? { min: 50, max: 50_000 };

  return {
    paymentMethods: () => [...methods],
    topUpBounds: () => ({ ...topUpRub }),
    async startTopUp(input) {
      const { amountKopecks } = input;
      if (amountKopecks % 100n !== 0n || amountKopecks < BigInt(topUpRub.min) * 100n || amountKopecks > BigInt(topUpRub.max) * 100n)
        return { kind: 'rejected', reason: 'amount-invalid' };
      const provider = providerName(input.method);
      const price = priceOf(amountKopecks, input.method);
      if (input.method === 'balance' || !methods.includes(input.method) || provider === undefined || price === undefined)
        return { kind: 'rejected', reason: 'method-unavailable' };
      const actor: Actor = { type: 'user', userId: input.userId };
      const payment = await deps.db.transaction(async (tx) => {
        const { payment: row } = await createPayment(tx, {
          userId: input.userId,
          subscriptionId: null,
          amount: price.amount,
          currency: price.currency,
          method: input.method,
          provider,
          promo: null,
          actor,
        });
        await createTopUp(tx, { userId: input.userId, paymentId: row.id, amount: formatMoney(amountKopecks), actor });
        return row;
      });
      return checkoutOf(payment, input.method, price.stars);
    },
    async startPurchase(input) {
      const plan = await getPlan(deps.db, input.planId);
      if (plan === null || !plan.is_active) return { kind: 'rejected', reason: 'plan-unavailable' };
      const provider = providerName(input.method);
      const now = new Date();
      const listKopecks = parseMoney(plan.price_rub);
      const promoCode = input.promoCode ?? (await getPendingPromo(deps.db, input.userId))?.code;
      const promoRow = promoCode === undefined ? null : await findUsablePromo(deps.db, { code: promoCode, userId: input.userId, now });
      if (promoCode !== undefined && promoRow === null) {
        // The applied code stopped working (expired, used up): forget it and tell the user.
        if (input.promoCode === undefined) await clearPendingPromo(deps.db, input.userId);
        return { kind: 'rejected', reason: 'promo-invalid' };
      }
      const price = priceOf(promoRow === null ? listKopecks : discountedKopecks(listKopecks, promoRow), input.method);
      const listPrice = promoRow === null ? undefined : priceOf(listKopecks, input.method);
      if (
        !methods.includes(input.method) ||
        provider === undefined ||
        price === undefined ||
        (promoRow !== null && listPrice === undefined)
      ) {
        return { kind: 'rejected', reason: 'method-unavailable' };
      }
      if (input.method === 'balance' && parseMoney(await getBalance(deps.db, input.userId)) < parseMoney(price.amount)) {
        return { kind: 'rejected', reason: 'insufficient-balance' };
      }
      const promo = promoRow === null || listPrice === undefined ? null : { promoCodeId: promoRow.id, listPrice: listPrice.amount };
      const payment = await paymentFor(input, price, provider, promo, now);
      if (payment === null) return { kind: 'rejected', reason: 'promo-invalid' };
      if (payment === 'not-renewable') return { kind: 'rejected', reason: 'not-renewable' };
      return checkoutOf(payment, input.method, price.stars);
    },
  };
}
