import { ApplicationFailure } from '@temporalio/common';
import { GrammyError, HttpError } from 'grammy';
import type { DatabasePool } from '../lib/db/create-pool';
import { ConfigError, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { decideStarsCharge, type StarsChargeOrder } from '../lib/payments/stars/decide-stars-charge';
import { refundStarsPayment } from '../lib/payments/stars/refund-stars-payment';
import { starsOfAmountText } from '../lib/payments/stars/rub-to-stars';
import type { StarsBotApi } from '../lib/payments/stars/star-transactions';
import { parseStarsPayload } from '../lib/payments/stars/stars-payload';
import { signalPaymentVerdict } from '../clients/payment-workflow-client';
import type { Actor } from '../sql/repositories/audit-repository';
import { getPayment, markPaymentCompleted, setPaymentExternalId } from '../sql/repositories/payments-repository';
import {
  decideStarsChargeRow,
  getStarsCharge,
  lockStarsCharge,
  markStarsChargeRefunded,
  markStarsChargeStep,
  markStarsChargeUnresolved,
} from '../sql/repositories/stars-charges-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { getUserById, getUserByTelegramId } from '../sql/repositories/users-repository';
import { paymentRow, type PaymentRow } from '../sql/schemas/payment-row';
import type { StarsChargeRow } from '../sql/schemas/stars-charge-row';
import { sql } from 'slonik';
import type { DeliverNotification } from './notify-activities';
import type { PaymentActivityDeps } from './payment-activities';
import type { StarsChargeState } from './contracts/stars-charge-activities';
import { asActivity } from './to-activity-failure';

/** Dependencies of the Stars settlement activities. */
export interface StarsChargeActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** Bot API calls for refunds and the transaction list; without it refunds fail non-retryably. */
  starsApi?: StarsBotApi | undefined;
  /** Temporal client and task queue for the hand-off to `payment-{id}`. */
  payments?: PaymentActivityDeps | undefined;
  /** Sends the user's messages through the notifications outbox. */
  deliver: DeliverNotification;
}

const ACTOR: Actor = { type: 'provider_webhook', provider: 'telegram_stars' };
const SYSTEM: Actor = { type: 'system', component: 'activity:stars' };
/** Verdict timeout of a payment workflow run started by a hand-off, in minutes (it completes at once). */
const HAND_OFF_TIMEOUT_MINUTES = 60;

/** The state the workflow sees, from the row and the payer's user id. */
function stateOf(charge: StarsChargeRow, userId: number | null, subscriptionId: number | null): StarsChargeState {
  return {
    chargeId: charge.id,
    status: charge.status,
    reason: charge.reason,
    paymentId: charge.payment_id,
    userId,
    subscriptionId,
    stars: charge.total_amount,
    recordedBy: charge.recorded_by,
    handedOff: charge.handed_off_at !== null,
    userNotified: charge.user_notified_at !== null,
    settled: charge.settled_at !== null,
  };
}

/**
 * Whether Telegram refused this refund for good (400, e.g. CHARGE_NOT_FOUND), as opposed to being
 * unreachable or refusing us (401/403/404/429/5xx: a token or outage problem a retry may outlive).
 */
function refusedForGood(error: unknown): error is GrammyError {
  return error instanceof GrammyError && error.error_code === 400;
}

/**
 * Settles Telegram Stars charges stored in `stars_charges`, one step per activity so each has the
 * retry policy of what it touches: decide (Postgres), hand off (Temporal), refund (Bot API),
 * notify (Bot API through the outbox), finish (Postgres). Every step is idempotent and returns the
 * charge's recorded state, so a retry answers exactly as the first call did.
 */
export function createStarsChargeActivities(deps: StarsChargeActivityDeps) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:stars' });

  async function load(chargeId: number): Promise<StarsChargeRow> {
    const charge = await getStarsCharge(db, chargeId);
    if (charge === null) throw new RecordNotFoundError('stars charge');
    return charge;
  }

  async function stateFor(charge: StarsChargeRow): Promise<StarsChargeState> {
    const payer = await getUserByTelegramId(db, charge.telegram_user_id);
    const payment = charge.payment_id === null ? null : await getPayment(db, charge.payment_id);
    return stateOf(charge, payer?.id ?? null, payment?.subscription_id ?? null);
  }

  function api(): StarsBotApi {
    if (deps.starsApi === undefined) throw new ConfigError('the Telegram Stars API is not configured in this worker');
    return deps.starsApi;
  }

  return {
    /**
     * Takes the charge's one decision, under the charge's and the order's row locks: apply it (the
     * charge id becomes the payment's external id and the payment is completed, in one
     * transaction) or refund it (recorded as 'refunding'; the refund is the next step). A charge
     * already decided returns its recorded decision. Every decision is audited (`stars_charge.*`).
     * @idempotency chargeId (the decision is recorded once)
     * @throws ApplicationFailure NOT_FOUND (non-retryable); database errors (retried)
     */
    async decideStarsCharge(input: { chargeId: number }): Promise<StarsChargeState> {
      return asActivity(async () => {
        const decided = await db.transaction(async (tx) => {
          const charge = await lockStarsCharge(tx, input.chargeId);
          if (charge === null) throw new RecordNotFoundError('stars charge');
          if (charge.status !== 'received') return charge;
          const orderId = parseStarsPayload(charge.invoice_payload);
          const payment =
            orderId === null ? null : await tx.maybeOne(sql.type(paymentRow)`SELECT * FROM payments WHERE id = ${orderId} FOR UPDATE`);
          const order = payment === null ? null : await orderOf(tx, payment);
          const payer = await getUserByTelegramId(tx, charge.telegram_user_id);
          const decision = decideStarsCharge(
            {
              telegramPaymentChargeId: charge.telegram_payment_charge_id,
              telegramUserId: charge.telegram_user_id,
              invoicePayload: charge.invoice_payload,
              currency: charge.currency,
              totalAmount: charge.total_amount,
              refundedAtTelegram: charge.raw['refunded_in_list'] === true,
            },
            order,
          );
          const common = { id: charge.id, paymentId: decision.paymentId, userId: payer?.id ?? null, actor: ACTOR };
          if (decision.action === 'refund') {
            return (await decideStarsChargeRow(tx, { ...common, status: 'refunding', reason: decision.reason })) ?? charge;
          }
          if (decision.action === 'apply') {
            await setPaymentExternalId(tx, {
              paymentId: decision.paymentId,
              externalId: charge.telegram_payment_charge_id,
              externalData:
                charge.provider_payment_charge_id === null ? null : { providerPaymentChargeId: charge.provider_payment_charge_id },
              actor: ACTOR,
            });
            await markPaymentCompleted(tx, { paymentId: decision.paymentId, actor: ACTOR, webhookReceivedAt: charge.received_at });
          }
          // A charge that completed its order before it was stored here (an older bot) needs no hand-off.
          const applied = await decideStarsChargeRow(tx, {
            ...common,
            status: 'applied',
            reason: decision.action === 'already-applied' ? 'already-applied' : null,
          });
          if (applied === null) return charge;
          return decision.action === 'already-applied' ? markStarsChargeStep(tx, { id: applied.id, step: 'handed_off_at' }) : applied;
        });
        if (decided.status === 'applied' || decided.status === 'refunding') {
          log.info(
            { chargeId: decided.id, paymentId: decided.payment_id, status: decided.status, reason: decided.reason },
            'stars charge decided',
          );
        }
        return stateFor(decided);
      });
    },

    /**
     * Hands an applied charge's payment to `payment-{id}` (signal-with-start of `paymentVerdict`),
     * which re-reads the completed payment and signals the subscription as for every provider.
     * @idempotency chargeId (the payment workflow deduplicates; the subscription by paymentId)
     * @throws ApplicationFailure CONFIG_INVALID, SUBSCRIPTION_STATE_INVALID (non-retryable); Temporal errors (retried)
     */
    async handOffStarsPayment(input: { chargeId: number }): Promise<StarsChargeState> {
      return asActivity(async () => {
        const charge = await load(input.chargeId);
        if (charge.status !== 'applied' || charge.payment_id === null)
          throw ApplicationFailure.nonRetryable(`stars charge ${charge.id} is ${charge.status}, not applied`, 'SUBSCRIPTION_STATE_INVALID');
        if (charge.handed_off_at !== null) return stateFor(charge);
        const payments = deps.payments;
        if (payments === undefined) throw new ConfigError('payments are not configured in this worker');
        const payment = await getPayment(db, charge.payment_id);
        if (payment === null) throw new RecordNotFoundError('payment');
        await signalPaymentVerdict(
          { client: payments.temporal.client, taskQueue: payments.temporal.taskQueue, timeoutMinutes: HAND_OFF_TIMEOUT_MINUTES },
          payment,
          { source: 'stars:charge', kind: 'succeeded' },
        );
        return stateFor(await markStarsChargeStep(db, { id: charge.id, step: 'handed_off_at' }));
      });
    },

    /**
     * Refunds a charge decided for refund with refundStarPayment (CHARGE_ALREADY_REFUNDED counts as
     * done) and records it; a refusal for good (e.g. CHARGE_NOT_FOUND) leaves the charge
     * 'unresolved' for an operator. Refuses, non-retryably, to refund a charge that completed a
     * payment: the applied charge is never refunded.
     * @idempotency chargeId (Telegram's CHARGE_ALREADY_REFUNDED)
     * @throws ApplicationFailure CONFIG_INVALID, SUBSCRIPTION_STATE_INVALID (non-retryable); network errors (retried)
     */
    async refundStarsCharge(input: { chargeId: number }): Promise<StarsChargeState> {
      return asActivity(async () => {
        const charge = await load(input.chargeId);
        if (charge.status !== 'refunding') return stateFor(charge);
        const payment = charge.payment_id === null ? null : await getPayment(db, charge.payment_id);
        if (payment !== null && payment.provider === 'telegram_stars' && payment.external_id === charge.telegram_payment_charge_id) {
          throw ApplicationFailure.nonRetryable(
            `stars charge ${charge.id} completed payment ${payment.id}; it is never refunded`,
            'SUBSCRIPTION_STATE_INVALID',
          );
        }
        const payer = await getUserByTelegramId(db, charge.telegram_user_id);
        try {
          const result = await refundStarsPayment(api(), {
            telegramUserId: charge.telegram_user_id,
            telegramPaymentChargeId: charge.telegram_payment_charge_id,
          });
          const refunded = await markStarsChargeRefunded(db, {
            id: charge.id,
            userId: payer?.id ?? null,
            alreadyRefunded: result.alreadyRefunded,
            actor: SYSTEM,
          });
          log.info({ chargeId: charge.id, paymentId: charge.payment_id, reason: charge.reason }, 'stars charge refunded');
          return stateFor(refunded);
        } catch (error) {
          if (refusedForGood(error)) {
            const description = error.description.replace(/^Bad Request: /, '').slice(0, 48);
            log.warn({ chargeId: charge.id, paymentId: charge.payment_id, description }, 'Telegram refused the Stars refund');
            return stateFor(
              await markStarsChargeUnresolved(db, {
                id: charge.id,
                userId: payer?.id ?? null,
                reason: `refund-refused:${description}`,
                actor: SYSTEM,
              }),
            );
          }
          if (error instanceof HttpError || error instanceof GrammyError) {
            throw ApplicationFailure.create({
              message: `Telegram refundStarPayment unavailable for charge ${charge.id}`,
              type: 'TELEGRAM_UNAVAILABLE',
            });
          }
          throw error;
        }
      });
    },

    /**
     * Tells the payer their Stars came back (kind 'stars_refunded', key `stars-refund:<chargeId>`,
     * in their language). A payer who blocked the bot or never started it is skipped, and so is a
     * charge refunded at Telegram before we saw it: the refund itself is what matters.
     * @idempotency chargeId (notification key)
     */
    async notifyStarsRefund(input: { chargeId: number }): Promise<StarsChargeState> {
      return asActivity(async () => {
        const charge = await load(input.chargeId);
        if (charge.status !== 'refunded' || charge.user_notified_at !== null) return stateFor(charge);
        const payer = await getUserByTelegramId(db, charge.telegram_user_id);
        // Refunded at Telegram by someone else: they told the user; we only recorded it.
        if (payer !== null && charge.reason !== 'refunded-at-telegram') {
          try {
            await deps.deliver({
              userId: payer.id,
              kind: 'stars_refunded',
              key: `stars-refund:${charge.id}`,
              params: { stars: charge.total_amount, refundReason: charge.reason },
            });
          } catch (error) {
            const code = (error as { code?: unknown }).code;
            if (code !== 'TELEGRAM_BLOCKED' && code !== 'TELEGRAM_REJECTED') throw error;
            log.warn({ chargeId: charge.id, code }, 'could not tell the payer about the Stars refund');
          }
        }
        return stateFor(await markStarsChargeStep(db, { id: charge.id, step: 'user_notified_at' }));
      });
    },

    /**
     * Marks the charge settled (the reconciler stops restarting it) and returns its final state.
     * @idempotency chargeId
     */
    async finishStarsCharge(input: { chargeId: number }): Promise<StarsChargeState> {
      return asActivity(async () => stateFor(await markStarsChargeStep(db, { id: (await load(input.chargeId)).id, step: 'settled_at' })));
    },
  };

  async function orderOf(
    tx: Parameters<Parameters<DatabasePool['transaction']>[0]>[0],
    payment: PaymentRow,
  ): Promise<StarsChargeOrder | null> {
    const owner = await getUserById(tx, payment.user_id);
    if (owner === null) return null;
    const subscription = payment.subscription_id === null ? null : await getSubscription(tx, payment.subscription_id);
    let amountStars: number | null = null;
    try {
      amountStars = payment.currency === 'XTR' ? starsOfAmountText(payment.amount) : null;
    } catch {
      amountStars = null;
    }
    return {
      id: payment.id,
      status: payment.status,
      method: payment.payment_method,
      currency: payment.currency,
      amountStars,
      externalId: payment.external_id,
      payerTelegramId: owner.telegram_id,
      subscriptionStatus: subscription?.status ?? null,
      standalone: payment.subscription_id === null,
    };
  }
}
