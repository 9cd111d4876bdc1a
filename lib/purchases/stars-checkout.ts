/**
 * The Telegram Stars side of purchases, run by the bot: the pre-checkout check (one indexed read,
 * well inside Telegram's 10 s) and the successful payment, recorded once by its
 * `telegram_payment_charge_id` and handed to `payment-{id}` with a verdict signal.
 */
import type { DatabasePool } from '../db/create-pool';
import { checkPreCheckout, type PreCheckoutRefusal } from '../payments/stars/check-pre-checkout';
import { starsOfAmountText } from '../payments/stars/rub-to-stars';
import { parseStarsPayload } from '../payments/stars/stars-payload';
import type { Actor } from '../../sql/repositories/audit-repository';
import { getPayment, markPaymentCompleted, setPaymentExternalId } from '../../sql/repositories/payments-repository';
import { getUserById } from '../../sql/repositories/users-repository';
import { signalPaymentVerdict, type PaymentWorkflowTarget } from './payment-workflow-client';

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

const ACTOR: Actor = { type: 'provider_webhook', provider: 'telegram_stars' };

/** Builds the Stars checkout handlers. */
export function createStarsCheckout(deps: { db: DatabasePool; payments: PaymentWorkflowTarget }) {
  async function check(input: StarsCheckoutInput): Promise<{ ok: true; paymentId: number } | { ok: false; reason: StarsRefusal }> {
    const orderId = parseStarsPayload(input.invoicePayload);
    const payment = orderId === null ? null : await getPayment(deps.db, orderId);
    const payer = payment === null ? null : await getUserById(deps.db, payment.user_id);
    const order =
      payment === null || payment.payment_method !== 'stars' || payer === null
        ? null
        : { id: payment.id, status: payment.status, currency: payment.currency, amountStars: starsOfAmountText(payment.amount), payerTelegramId: payer.telegram_id };
    const decision = checkPreCheckout(order, { from: { id: input.telegramId }, currency: input.currency, total_amount: input.totalAmount, invoice_payload: input.invoicePayload });
    return decision.ok ? { ok: true, paymentId: decision.orderId } : { ok: false, reason: REFUSAL[decision.reason] };
  }

  return {
    /** The pre-checkout decision. */
    async checkStarsCheckout(input: StarsCheckoutInput): Promise<{ ok: true } | { ok: false; reason: StarsRefusal }> {
      const verdict = await check(input);
      return verdict.ok ? { ok: true } : verdict;
    },

    /**
     * Records a successful Stars payment: the charge id becomes the payment's external id (unique
     * per provider), the payment is completed once, and its workflow is signalled (started again if
     * it had ended). A repeated delivery answers 'duplicate' and only re-sends the signal.
     * @idempotency telegramPaymentChargeId
     * @throws database and Temporal errors (the bot logs them; the reconciler settles later)
     */
    async completeStarsPayment(input: StarsCheckoutInput & { telegramPaymentChargeId: string; providerPaymentChargeId: string }): Promise<{ status: 'accepted' | 'duplicate' }> {
      const orderId = parseStarsPayload(input.invoicePayload);
      const payment = orderId === null ? null : await getPayment(deps.db, orderId);
      if (payment === null || payment.payment_method !== 'stars' || input.currency !== 'XTR' || starsOfAmountText(payment.amount) !== input.totalAmount) {
        return { status: 'duplicate' };
      }
      const completed = await deps.db.transaction(async (tx) => {
        await setPaymentExternalId(tx, { paymentId: payment.id, externalId: input.telegramPaymentChargeId, actor: ACTOR });
        return (await markPaymentCompleted(tx, { paymentId: payment.id, actor: ACTOR, webhookReceivedAt: new Date() })).completed;
      });
      await signalPaymentVerdict(deps.payments, payment, { source: 'bot:stars', kind: 'succeeded' });
      return { status: completed ? 'accepted' : 'duplicate' };
    },
  };
}
