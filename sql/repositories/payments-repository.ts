import { sql, type CommonQueryMethods } from 'slonik';
import { IdempotencyKeyReusedError, RecordNotFoundError } from '../../lib/errors';
import { formatMoney, parseMoney } from '../../lib/money';
import { paymentRow, type PaymentMethod, type PaymentRow } from '../schemas/payment-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { markGiftPaid } from './gifts-repository';
import { creditTopUpOfPayment } from './top-ups-repository';
import { consumePromoOfPayment, releasePromoOfPayment } from './promo-codes-repository';
import { reverseReferralBonus } from './referrals-repository';

/** A new order as the caller describes it. */
export interface NewPayment {
  userId: number;
  /** The subscription it pays for; null for a balance top-up. */
  subscriptionId: number | null;
  /** Decimal text in `currency` units ("249.00"; whole numbers for XTR), > 0. */
  amount: string;
  /** ISO-4217-shaped code; default 'RUB' ('XTR' for Telegram Stars). */
  currency?: string;
  method: PaymentMethod;
  /** Who processes it: 'yookassa', 'cryptopay', 'telegram_stars', 'balance', ... */
  provider: string;
  /** Lets the creator retry without a second order (e.g. `order:<telegram update id>`). */
  idempotencyKey?: string | null;
  /** A promo-discounted order: the code's id and the undiscounted price (decimal text, >= amount). */
  promo?: { promoCodeId: number; listPrice: string } | null;
  actor: Actor;
}

type JsonObject = Record<string, unknown>;

/**
 * Creates a pending payment. With an idempotency key, a repeat returns the first row.
 *
 * @idempotency input.idempotencyKey
 * @returns the row and whether this call created it
 * @throws RangeError for a malformed or non-positive amount; IdempotencyKeyReusedError when the key
 *   names a payment with another user, amount or subscription; slonik's
 *   CheckIntegrityConstraintViolationError for values the table forbids (e.g. XTR without 'stars')
 */
export async function createPayment(connection: CommonQueryMethods, input: NewPayment): Promise<{ created: boolean; payment: PaymentRow }> {
  const amount = parseMoney(input.amount);
  if (amount <= 0n) throw new RangeError('a payment amount must be positive');
  const listPrice = input.promo ? formatMoney(parseMoney(input.promo.listPrice)) : null;
  return connection.transaction(async (tx) => {
    const created = await tx.maybeOne(sql.type(paymentRow)`
      INSERT INTO payments (user_id, subscription_id, amount, currency, payment_method, provider, idempotency_key, promo_code_id, list_price)
      VALUES (
        ${input.userId}, ${input.subscriptionId}, ${formatMoney(amount)}::numeric, ${input.currency ?? 'RUB'},
        ${input.method}, ${input.provider}, ${input.idempotencyKey ?? null}, ${input.promo?.promoCodeId ?? null}, ${listPrice}::numeric
      )
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING *
    `);
    if (created === null) {
      const existing = await tx.one(sql.type(paymentRow)`SELECT * FROM payments WHERE idempotency_key = ${input.idempotencyKey ?? null}`);
      const same =
        existing.user_id === input.userId && existing.subscription_id === input.subscriptionId && parseMoney(existing.amount) === amount;
      if (!same) throw new IdempotencyKeyReusedError('payment');
      return { created: false, payment: existing };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'payment.created',
      entityType: 'payment',
      entityId: created.id,
      userId: created.user_id,
      details: {
        amount: created.amount,
        currency: created.currency,
        method: created.payment_method,
        provider: created.provider,
        ...(created.promo_code_id === null ? {} : { promo_code_id: created.promo_code_id, list_price: created.list_price }),
      },
    });
    return { created: true, payment: created };
  });
}

/** The payment with this id, or null. */
export async function getPayment(connection: CommonQueryMethods, paymentId: number): Promise<PaymentRow | null> {
  return connection.maybeOne(sql.type(paymentRow)`SELECT * FROM payments WHERE id = ${paymentId}`);
}

/** The payment created with this idempotency key, or null. */
export async function getPaymentByIdempotencyKey(connection: CommonQueryMethods, idempotencyKey: string): Promise<PaymentRow | null> {
  return connection.maybeOne(sql.type(paymentRow)`SELECT * FROM payments WHERE idempotency_key = ${idempotencyKey}`);
}

/** The payment a provider knows by `externalId`, or null. */
export async function getPaymentByExternalId(
  connection: CommonQueryMethods,
  input: { provider: string; externalId: string },
): Promise<PaymentRow | null> {
  return connection.maybeOne(sql.type(paymentRow)`
    SELECT * FROM payments WHERE provider = ${input.provider} AND external_id = ${input.externalId}
  `);
}

/**
 * Records the provider's id for a payment (after its invoice was created). Repeating it with the
 * same id is a no-op; a different id for a payment that already has one is refused.
 *
 * @idempotency paymentId+externalId
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown payment; IdempotencyKeyReusedError when the
 *   payment already has another external id; slonik's UniqueIntegrityConstraintViolationError when
 *   another payment of the same provider has this id
 */
export async function setPaymentExternalId(
  connection: CommonQueryMethods,
  input: { paymentId: number; externalId: string; externalData?: JsonObject | null; actor: Actor },
): Promise<PaymentRow> {
  return connection.transaction(async (tx) => {
    const updated = await tx.maybeOne(sql.type(paymentRow)`
      UPDATE payments
      SET external_id = ${input.externalId},
          external_data = coalesce(${input.externalData === undefined || input.externalData === null ? null : sql.jsonb(input.externalData)}::jsonb, external_data)
      WHERE id = ${input.paymentId} AND external_id IS NULL
      RETURNING *
    `);
    if (updated === null) {
      const current = await getPayment(tx, input.paymentId);
      if (current === null) throw new RecordNotFoundError('payment');
      if (current.external_id !== input.externalId) throw new IdempotencyKeyReusedError('provider payment id');
      return current;
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'payment.external_id_set',
      entityType: 'payment',
      entityId: updated.id,
      userId: updated.user_id,
      details: { provider: updated.provider, external_id: updated.external_id },
    });
    return updated;
  });
}

/**
 * Marks a payment completed, exactly once. The conditional UPDATE (status <> completed/refunded)
 * takes the row lock; concurrent callers wait for it and then find it completed, so of any number of
 * calls exactly one returns `completed: true`. A payment already marked failed or cancelled can
 * still be completed: the provider's verdict that money arrived wins over our timeout.
 *
 * @idempotency paymentId
 * @returns whether this call completed it, and the current row
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown payment
 */
export async function markPaymentCompleted(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor; externalData?: JsonObject | null; webhookReceivedAt?: Date | null },
): Promise<{ completed: boolean; payment: PaymentRow }> {
  return connection.transaction(async (tx) => {
    const completed = await tx.maybeOne(sql.type(paymentRow)`
      UPDATE payments
      SET status = 'completed', completed_at = now(),
          webhook_received_at = coalesce(${input.webhookReceivedAt ? sql.timestamp(input.webhookReceivedAt) : null}, webhook_received_at),
          external_data = coalesce(${input.externalData ? sql.jsonb(input.externalData) : null}::jsonb, external_data)
      WHERE id = ${input.paymentId} AND status IN ('pending', 'failed', 'cancelled')
      RETURNING *
    `);
    if (completed === null) {
      const current = await getPayment(tx, input.paymentId);
      if (current === null) throw new RecordNotFoundError('payment');
      return { completed: false, payment: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'payment.completed',
      entityType: 'payment',
      entityId: completed.id,
      userId: completed.user_id,
      details: { amount: completed.amount, currency: completed.currency, provider: completed.provider },
    });
    // An order without a subscription paid: a gift can be redeemed now; a top-up is credited now,
    // in this transaction, so the money is on the balance exactly when the payment is completed.
    if (completed.subscription_id === null) {
      await markGiftPaid(tx, { paymentId: completed.id, actor: input.actor });
      await creditTopUpOfPayment(tx, { paymentId: completed.id, actor: input.actor });
    }
    // A discounted order paid: its promo code's reservation is used up now, not at order creation.
    if (completed.promo_code_id !== null) {
      await consumePromoOfPayment(tx, {
        paymentId: completed.id,
        userId: completed.user_id,
        promoCodeId: completed.promo_code_id,
        actor: input.actor,
      });
    }
    return { completed: true, payment: completed };
  });
}

/**
 * Moves a payment from one status to another when it is in one of `from`; reports whether it did.
 */
async function transitionPayment(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor; reason?: string },
  to: 'failed' | 'cancelled' | 'refunded',
  from: readonly string[],
): Promise<{ changed: boolean; payment: PaymentRow }> {
  return connection.transaction(async (tx) => {
    const changed = await tx.maybeOne(sql.type(paymentRow)`
      UPDATE payments
      SET status = ${to}::text, refunded_at = CASE WHEN ${to}::text = 'refunded' THEN now() ELSE refunded_at END
      WHERE id = ${input.paymentId} AND status = ANY(${sql.array(from, 'text')})
      RETURNING *
    `);
    if (changed === null) {
      const current = await getPayment(tx, input.paymentId);
      if (current === null) throw new RecordNotFoundError('payment');
      return { changed: false, payment: current };
    }
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `payment.${to}`,
      entityType: 'payment',
      entityId: changed.id,
      userId: changed.user_id,
      details: input.reason === undefined ? {} : { reason: input.reason },
    });
    // A refunded payment takes back the referral bonus it earned (through the ledger, same transaction).
    if (to === 'refunded') await reverseReferralBonus(tx, { paymentId: changed.id, actor: input.actor });
    // A discounted order that ended unpaid gives its promo code's use back (unless another open order holds it).
    if (changed.promo_code_id !== null && to !== 'refunded') {
      await releasePromoOfPayment(tx, {
        paymentId: changed.id,
        userId: changed.user_id,
        promoCodeId: changed.promo_code_id,
        actor: input.actor,
      });
    }
    return { changed: true, payment: changed };
  });
}

/**
 * pending -> failed (the provider declined). No-op otherwise.
 *
 * @param input.reason short machine reason (e.g. YooKassa cancellation_details.reason), no secrets
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown payment
 */
export async function markPaymentFailed(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor; reason?: string },
): Promise<{ changed: boolean; payment: PaymentRow }> {
  return transitionPayment(connection, input, 'failed', ['pending']);
}

/**
 * pending -> cancelled (timed out or abandoned). No-op otherwise.
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown payment
 */
export async function markPaymentCancelled(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor; reason?: string },
): Promise<{ changed: boolean; payment: PaymentRow }> {
  return transitionPayment(connection, input, 'cancelled', ['pending']);
}

/**
 * completed -> refunded. No-op otherwise. Moving money back (to the card or to the balance) is the
 * caller's job in the same transaction (e.g. creditBalance with reason 'refund'); the referral
 * bonus this payment earned is reversed here (reverseReferralBonus).
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown payment
 */
export async function markPaymentRefunded(
  connection: CommonQueryMethods,
  input: { paymentId: number; actor: Actor; reason?: string },
): Promise<{ changed: boolean; payment: PaymentRow }> {
  return transitionPayment(connection, input, 'refunded', ['completed']);
}

/**
 * Claims the right to apply a completed payment's effect (extend a subscription, credit a top-up):
 * sets applied_at if it is NULL. Call it in the same transaction as the effect; exactly one caller
 * gets a row back.
 *
 * @idempotency paymentId
 * @returns the payment when this call claimed it; null when it is not completed or already applied
 */
export async function claimPaymentApplication(
  connection: CommonQueryMethods,
  input: { paymentId: number; subscriptionId?: number | null; actor: Actor },
): Promise<PaymentRow | null> {
  return connection.transaction(async (tx) => {
    const claimed = await tx.maybeOne(sql.type(paymentRow)`
      UPDATE payments SET applied_at = now()
      WHERE id = ${input.paymentId} AND status = 'completed' AND applied_at IS NULL
        AND (${input.subscriptionId ?? null}::int IS NULL OR subscription_id = ${input.subscriptionId ?? null}::int)
      RETURNING *
    `);
    if (claimed === null) return null;
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'payment.applied',
      entityType: 'payment',
      entityId: claimed.id,
      userId: claimed.user_id,
      details: { subscription_id: claimed.subscription_id },
    });
    return claimed;
  });
}

/**
 * Pending payments created before `olderThan`, oldest first, for the provider reconciler.
 *
 * @param limit most rows returned; default 100
 */
export async function listStalePendingPayments(
  connection: CommonQueryMethods,
  input: { olderThan: Date; limit?: number },
): Promise<readonly PaymentRow[]> {
  return connection.any(sql.type(paymentRow)`
    SELECT * FROM payments WHERE status = 'pending' AND created_at < ${sql.timestamp(input.olderThan)}
    ORDER BY created_at LIMIT ${input.limit ?? 100}
  `);
}
