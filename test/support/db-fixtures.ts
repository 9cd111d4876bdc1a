/**
 * Small builders for the repository tests (not used by production code). Each goes through the
 * repositories, so fixtures obey the same rules as real data.
 */
import type { CommonQueryMethods } from 'slonik';
import type { Actor } from '../../sql/repositories/audit-repository';
import { createPayment, markPaymentCompleted } from '../../sql/repositories/payments-repository';
import { createPromoCode } from '../../sql/repositories/promo-codes-repository';
import { createServer } from '../../sql/repositories/servers-repository';
import { createPendingSubscription, extendSubscriptionWithPayment } from '../../sql/repositories/subscriptions-repository';
import { getOrCreateUser } from '../../sql/repositories/users-repository';
import type { PaymentRow } from '../../sql/schemas/payment-row';
import type { PromoCodeRow } from '../../sql/schemas/promo-code-row';
import type { SubscriptionRow } from '../../sql/schemas/subscription-row';
import type { UserRow } from '../../sql/schemas/user-row';
import type { VpnServerRow } from '../../sql/schemas/vpn-server-row';

/** The actor fixtures use. */
export const testActor: Actor = { type: 'system', component: 'test' };

let nextTelegramId = 1_000_000 + Math.floor(Math.random() * 1_000_000);

/** A new user with a fresh Telegram id. */
export async function newUser(db: CommonQueryMethods, options: { referralCode?: string } = {}): Promise<UserRow> {
  nextTelegramId += 1;
  const { user } = await getOrCreateUser(db, { telegramId: nextTelegramId, firstName: 'Test', referralCode: options.referralCode ?? null });
  return user;
}

/** A new active, up server with `maxUsers` slots. */
export async function newServer(db: CommonQueryMethods, maxUsers = 10, name = `srv-${nextTelegramId++}`): Promise<VpnServerRow> {
  return createServer(db, { name, endpoint: `${name}.example:443`, maxUsers, xuiInboundId: 1, actor: testActor });
}

/** A new pending subscription of a new (or given) user. */
export async function newSubscription(db: CommonQueryMethods, userId?: number): Promise<SubscriptionRow> {
  const owner = userId ?? (await newUser(db)).id;
  return createPendingSubscription(db, { userId: owner, planId: null, actor: testActor });
}

/** A pending (or completed) RUB card payment. */
export async function newPayment(
  db: CommonQueryMethods,
  input: { userId: number; subscriptionId?: number | null; amount?: string; completed?: boolean },
): Promise<PaymentRow> {
  const { payment } = await createPayment(db, {
    userId: input.userId,
    subscriptionId: input.subscriptionId ?? null,
    amount: input.amount ?? '249.00',
    method: 'card',
    provider: 'yookassa',
    actor: testActor,
  });
  if (!input.completed) return payment;
  return (await markPaymentCompleted(db, { paymentId: payment.id, actor: testActor })).payment;
}

/**
 * A new active subscription of a new (or given) user on `planId` (or none): pending, then paid
 * with a completed payment applied for `days` (default 30), as a real purchase goes.
 */
export async function newActiveSubscription(
  db: CommonQueryMethods,
  input: { planId?: number | null; userId?: number; days?: number } = {},
): Promise<SubscriptionRow> {
  const owner = input.userId ?? (await newUser(db)).id;
  const pending = await createPendingSubscription(db, { userId: owner, planId: input.planId ?? null, actor: testActor });
  const payment = await newPayment(db, { userId: owner, subscriptionId: pending.id, completed: true });
  const { subscription } = await extendSubscriptionWithPayment(db, {
    subscriptionId: pending.id,
    paymentId: payment.id,
    days: input.days ?? 30,
    actor: testActor,
  });
  return subscription;
}

let nextPromo = 0;

/** A new active promo code with a unique code (`TEST<random>_<n>`), unlimited unless `maxRedemptions`. */
export async function newPromoCode(
  db: CommonQueryMethods,
  input: { percentOff: number; maxRedemptions?: number | null; expiresAt?: Date | null },
): Promise<PromoCodeRow> {
  nextPromo += 1;
  return createPromoCode(db, { code: `TEST${nextTelegramId}_${nextPromo}`, ...input, actor: testActor });
}
