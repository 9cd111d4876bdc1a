/**
 * The Telegram Stars side of purchases, run by the bot: the pre-checkout check (one indexed read,
 * well inside Telegram's 10 s) and the successful payment, stored once by its
 * `telegram_payment_charge_id` and handed to `stars-charge-{id}`, which settles it.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import { checkPreCheckout, type PreCheckoutRefusal } from '../lib/payments/stars/check-pre-checkout';
import { starsOfAmountText } from '../lib/payments/stars/rub-to-stars';
import { parseStarsPayload } from '../lib/payments/stars/stars-payload';
import { getPayment } from '../sql/repositories/payments-repository';
import { recordStarsCharge } from '../sql/repositories/stars-charges-repository';
import { getUserById } from '../sql/repositories/users-repository';
import type { Logger } from '../lib/logger';
import type { PaymentWorkflowTarget } from '../clients/payment-workflow-client';
import { startStarsChargeSettlement } from '../clients/stars-charge-workflow-client';

/** A Stars checkout as Telegram reports it. */
export interface StarsCheckoutInput {
  telegramId: number;
  invoicePayload: string;
  currency: string;
  /** Whole Stars. */
  totalAmount: number;
}

/** Why a checkout is refused, as the bot words it. */
export type StarsRefusal = 'unknown-order' | 'amount-mismatch' | 'already-paid';

const REFUSAL: Record<PreCheckoutRefusal, StarsRefusal> = {
  'unknown-payload': 'unknown-order',
  'order-not-found': 'unknown-order',
  'wrong-payer': 'unknown-order',
  'not-payable': 'unknown-order',
  'wrong-currency': 'amount-mismatch',
  'wrong-amount': 'amount-mismatch',
  'already-paid': 'already-paid',
};

/** Builds the Stars checkout handlers. */
export function createStarsCheckout(deps: { db: DatabasePool; payments: PaymentWorkflowTarget; logger?: Logger | undefined }) {
  async function check(input: StarsCheckoutInput): Promise<{ ok: true; paymentId: number } | { ok: false; reason: StarsRefusal }> {
    const orderId = parseStarsPayload(input.invoicePayload);
    const payment = orderId === null ? null : await getPayment(deps.db, orderId);
    const payer = payment === null ? null : await getUserById(deps.db, payment.user_id);
    const order =
      payment === null || payment.payment_method !== 'stars' || payer === null
        ? null
        : {
            id: payment.id,
            status: payment.status,
            currency: payment.currency,
            amountStars: starsOfAmountText(payment.amount),
            payerTelegramId: payer.telegram_id,
          };
    const decision = checkPreCheckout(order, {
      from: { id: input.telegramId },
      currency: input.currency,
      total_amount: input.totalAmount,
      invoice_payload: input.invoicePayload,
    });
    return decision.ok ? { ok: true, paymentId: decision.orderId } : { ok: false, reason: REFUSAL[decision.reason] };
  }

  return {
    /** The pre-checkout decision. */
    async checkStarsCheckout(input: StarsCheckoutInput): Promise<{ ok: true } | { ok: false; reason: StarsRefusal }> {
      const verdict = await check(input);
      return verdict.ok ? { ok: true } : verdict;
    },

    /**
     * Records a successful Stars payment durably FIRST: the raw `successful_payment` (charge ids
     * included) goes into `stars_charges` in one INSERT, keyed by `telegram_payment_charge_id`.
     * Then `stars-charge-{id}` is started, which applies the charge to its order (or refunds it)
     * with retries. If starting it fails, the charge is still stored and the stars-reconcile
     * Schedule starts it; if even the store fails, the reconciler finds the charge in
     * getStarTransactions. A repeated delivery answers 'duplicate' (and asks for the settlement
     * again, which is a no-op once it ran).
     * @idempotency telegramPaymentChargeId
     * @throws database errors of the store only (the caller must not tell the user to pay again)
     */
    async completeStarsPayment(
      input: StarsCheckoutInput & { telegramPaymentChargeId: string; providerPaymentChargeId: string; raw?: Record<string, unknown> },
    ): Promise<{ status: 'accepted' | 'duplicate' }> {
      const { created, charge } = await recordStarsCharge(deps.db, {
        telegramPaymentChargeId: input.telegramPaymentChargeId,
        providerPaymentChargeId: input.providerPaymentChargeId,
        telegramUserId: input.telegramId,
        invoicePayload: input.invoicePayload,
        currency: input.currency,
        totalAmount: input.totalAmount,
        raw: input.raw ?? {
          currency: input.currency,
          total_amount: input.totalAmount,
          invoice_payload: input.invoicePayload,
          telegram_payment_charge_id: input.telegramPaymentChargeId,
          provider_payment_charge_id: input.providerPaymentChargeId,
        },
        recordedBy: 'bot',
        orderId: parseStarsPayload(input.invoicePayload),
      });
      try {
        await startStarsChargeSettlement(deps.payments, charge.id);
      } catch (error) {
        deps.logger?.warn(
          { chargeId: charge.id, err: error instanceof Error ? error.name : 'unknown' },
          'could not start the Stars settlement; the reconciler will',
        );
      }
      return { status: created ? 'accepted' : 'duplicate' };
    },
  };
}
