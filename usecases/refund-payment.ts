/**
 * An operator refunds a completed payment the way it was paid (the operator console calls this):
 * Telegram Stars back to the payer (refundStarPayment), card and SBP through the provider's refunds
 * API (YooKassa), anything else (crypto, balance) to the user's balance through the subscription
 * workflow's refundToBalance. A refund to the payer marks the payment refunded (which reverses its
 * referral bonus), is audited, cancels the subscription and is told to the user in their language.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { formatMoney, parseMoney } from '../lib/money';
import { isPaymentError } from '../lib/payments/payment-errors';
import type { PaymentProviders } from '../lib/payments/payments-config';
import { refundStarsPayment, type StarsRefundApi } from '../lib/payments/stars/refund-stars-payment';
import { listAuditLogs, writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import type { PaymentProvider, RefundResult } from '../lib/payments/payment-provider';
import type { PaymentRow } from '../sql/schemas/payment-row';
import { enqueueNotification, markNotificationSent } from '../sql/repositories/notifications-repository';
import { getPayment, markPaymentRefunded } from '../sql/repositories/payments-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { getBalance } from '../sql/repositories/ledger-repository';
import { getTopUpByPayment, takeBackTopUp } from '../sql/repositories/top-ups-repository';
import { InsufficientBalanceError } from '../lib/errors';
import { listStarsChargesOfPayment } from '../sql/repositories/stars-charges-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { getUserById } from '../sql/repositories/users-repository';
import { notificationLocale, renderNotification } from '../texts/notifications/notification-texts';
import type { OperatorActions, OperatorRequest } from './operator-types';
import { planName } from './plan-names';

/** A payment's refunds at its provider, from the audit. */
interface RefundTrail {
  /** The refund the provider still reports pending. */
  pending?: string;
  /** Refunds the provider cancelled. */
  canceled: number;
}

/** Where the money went. */
export type RefundDestination = 'card' | 'stars' | 'balance';

/** The outcome the operator sees. */
export type RefundOutcome =
  | { kind: 'refunded'; to: RefundDestination; amount: string; currency: string }
  /**
   * The provider took the refund but has not finished it (YooKassa 'pending'): nothing changed
   * here yet; asking again checks it and completes the refund once it succeeded.
   */
  | { kind: 'pending'; refundId: string; amount: string; currency: string }
  | {
      kind: 'refused';
      reason:
        | 'not-found'
        | 'not-completed'
        | 'no-charge'
        | 'provider-refused'
        | 'provider-unavailable'
        | 'balance-refund-failed'
        /** A balance top-up that is no longer on the balance (spent), or paid by a method that refunds to the balance. */
        | 'top-up-not-refundable';
      message?: string;
    };

/** Dependencies of {@link createRefunds}. */
export interface RefundDeps {
  db: DatabasePool;
  providers: PaymentProviders;
  /** Bot API for Stars refunds; without it Stars payments go to the balance. */
  starsApi?: StarsRefundApi | undefined;
  /** The operator actions (refund to balance and cancel through the subscription workflow). */
  operator: Pick<OperatorActions, 'refund' | 'cancel'>;
  /** Sends the user the refund message (the bot's Api). */
  sendText(chatId: number, text: string): Promise<{ messageId: number }>;
  logger?: Logger | undefined;
}

/** What the operator console calls. */
export interface Refunds {
  /**
   * Refunds payment `paymentId` by its method. Safe to repeat with the same request: the provider
   * refund has an idempotency key per payment, Stars' CHARGE_ALREADY_REFUNDED counts as done, the
   * payment is marked refunded once, and the user's message has a key per payment.
   */
  refundPayment(input: { paymentId: number } & Omit<OperatorRequest, 'subscriptionId'>): Promise<RefundOutcome>;
}

/** Builds the refunds use case. */
export function createRefunds(deps: RefundDeps): Refunds {
  const log = deps.logger?.child({ component: 'refunds' });

  /** Marks the payment refunded (reversing its referral bonus) with the audit of where the money went. */
  async function recordRefund(
    paymentId: number,
    userId: number,
    to: RefundDestination,
    detail: Record<string, string>,
    actor: Actor,
  ): Promise<void> {
    await deps.db.transaction(async (tx) => {
      const { changed } = await markPaymentRefunded(tx, { paymentId, actor, reason: `refund_to_${to}` });
      if (changed)
        await writeAuditLog(tx, {
          actor,
          action: `payment.refunded_to_${to}`,
          entityType: 'payment',
          entityId: paymentId,
          userId,
          details: detail,
        });
    });
  }

  /** Tells the user once (outbox key `refund-to-payer:<paymentId>`); a failure is logged, not thrown. */
  async function tell(paymentId: number, userId: number, params: Record<string, string | number>): Promise<void> {
    const user = await getUserById(deps.db, userId);
    if (user === null) return;
    const locale = notificationLocale(user.language_code);
    const text = renderNotification('refunded_to_payer', locale, params);
    const { notification } = await enqueueNotification(deps.db, {
      userId,
      type: 'refunded_to_payer',
      message: text,
      data: { paymentId, locale },
      idempotencyKey: `refund-to-payer:${paymentId}`,
      actor: { type: 'system', component: 'usecase:refunds' },
    });
    if (notification.status !== 'pending') return;
    try {
      const sent = await deps.sendText(user.telegram_id, text);
      await markNotificationSent(deps.db, {
        notificationId: notification.id,
        telegramMessageId: sent.messageId,
        actor: { type: 'system', component: 'usecase:refunds' },
      });
    } catch (error) {
      log?.warn({ paymentId, userId, err: error instanceof Error ? error.name : 'unknown' }, 'refund message not delivered');
    }
  }

  /**
   * What the audit says of this payment's refunds at the provider: the refund still pending there
   * (asked about instead of asking for a new one) and how many were cancelled (each new attempt
   * after a cancelled one gets its own idempotency key, or the provider would answer the old one).
   */
  async function providerRefundTrail(paymentId: number): Promise<RefundTrail> {
    const rows = await listAuditLogs(deps.db, { entityType: 'payment', entityId: paymentId, limit: 1000 });
    const idOf = (row: (typeof rows)[number]) => String((row.details as Record<string, unknown> | null)?.['refund_id'] ?? '');
    const canceled = new Set(rows.filter((row) => row.action === 'payment.refund_canceled').map(idOf));
    const pending = rows.filter((row) => row.action === 'payment.refund_pending' && !canceled.has(idOf(row))).at(-1);
    return { canceled: canceled.size, ...(pending === undefined ? {} : { pending: idOf(pending) }) };
  }

  /**
   * Refunds a card/SBP payment at its provider, or checks the refund already pending there.
   * @returns the audit detail of a succeeded refund, or the outcome to show (pending, refused)
   */
  async function refundAtProvider(
    payment: PaymentRow,
    provider: PaymentProvider,
    trail: RefundTrail,
  ): Promise<{ detail: Record<string, string> } | RefundOutcome> {
    let refund: RefundResult | undefined;
    try {
      refund =
        trail.pending !== undefined && provider.fetchRefund !== undefined
          ? await provider.fetchRefund(trail.pending)
          : await provider.refund?.({
              externalId: payment.external_id ?? '',
              amountKopecks: parseMoney(payment.amount),
              idempotencyKey: trail.canceled === 0 ? `refund-payment-${payment.id}` : `refund-payment-${payment.id}-${trail.canceled + 1}`,
            });
    } catch (error) {
      const code = isPaymentError(error) ? error.code : 'unknown';
      log?.warn({ paymentId: payment.id, code }, 'provider refund failed');
      return { kind: 'refused', reason: code === 'PAYMENT_UNAVAILABLE' ? 'provider-unavailable' : 'provider-refused' };
    }
    if (refund === undefined) return { kind: 'refused', reason: 'provider-refused' };
    const audit = (action: string) =>
      writeAuditLog(deps.db, {
        actor: { type: 'system', component: 'usecase:refunds' },
        action,
        entityType: 'payment',
        entityId: payment.id,
        userId: payment.user_id,
        details: { refund_id: refund.refundId },
      });
    if (refund.status === 'canceled') {
      await audit('payment.refund_canceled');
      return { kind: 'refused', reason: 'provider-refused', message: 'the provider cancelled the refund; asking again starts a new one' };
    }
    if (refund.status === 'pending') {
      if (trail.pending !== refund.refundId) await audit('payment.refund_pending');
      return { kind: 'pending', refundId: refund.refundId, amount: payment.amount, currency: payment.currency };
    }
    return { detail: { refund_id: refund.refundId, status: refund.status } };
  }

  return {
    async refundPayment(input) {
      const payment = await getPayment(deps.db, input.paymentId);
      if (payment === null) return { kind: 'refused', reason: 'not-found' };
      if (payment.status !== 'completed' && payment.status !== 'refunded') return { kind: 'refused', reason: 'not-completed' };
      const actor: Actor = { type: 'operator', telegramId: input.operatorTelegramId };
      const subscription = payment.subscription_id === null ? null : await getSubscription(deps.db, payment.subscription_id);
      const provider = deps.providers.byName[payment.provider as keyof PaymentProviders['byName']];
      const external =
        (payment.payment_method === 'card' || payment.payment_method === 'sbp') &&
        provider?.refund !== undefined &&
        payment.external_id !== null;
      const stars = payment.payment_method === 'stars' && deps.starsApi !== undefined;
      const topUp = payment.subscription_id === null ? await getTopUpByPayment(deps.db, payment.id) : null;
      const trail = external ? await providerRefundTrail(payment.id) : null;
      if (topUp !== null && payment.status === 'completed' && trail?.pending === undefined) {
        // A top-up goes back to the payer only while its money is still on the balance, and is
        // taken off it with the refund; to the balance it would only move money where it is.
        if (!external && !stars)
          return {
            kind: 'refused',
            reason: 'top-up-not-refundable',
            message: 'a top-up by this method can only be adjusted on the balance',
          };
        if (parseMoney(await getBalance(deps.db, payment.user_id)) < parseMoney(topUp.amount))
          return { kind: 'refused', reason: 'top-up-not-refundable', message: 'the top-up was already spent' };
      }

      if (!external && !stars) {
        if (subscription === null) return { kind: 'refused', reason: 'balance-refund-failed', message: 'the payment has no subscription' };
        if (payment.status === 'refunded') return { kind: 'refunded', to: 'balance', amount: payment.amount, currency: payment.currency };
        const result = await deps.operator.refund({ ...input, subscriptionId: subscription.id, paymentId: payment.id });
        if (!result.ok)
          return {
            kind: 'refused',
            reason: 'balance-refund-failed',
            message: result.reason === 'rejected' ? result.message : result.reason,
          };
        return { kind: 'refunded', to: 'balance', amount: formatMoney(BigInt(result.value.amountKopecks)), currency: 'RUB' };
      }

      let to: RefundDestination;
      let detail: Record<string, string>;
      if (stars) {
        const charge = (await listStarsChargesOfPayment(deps.db, payment.id)).find(
          (row) => row.status === 'applied' || row.status === 'refunded',
        );
        if (charge === undefined) return { kind: 'refused', reason: 'no-charge' };
        try {
          const done = await refundStarsPayment(deps.starsApi as StarsRefundApi, {
            telegramUserId: charge.telegram_user_id,
            telegramPaymentChargeId: charge.telegram_payment_charge_id,
          });
          detail = { charge_id: String(charge.id), already_refunded: String(done.alreadyRefunded) };
        } catch (error) {
          log?.warn({ paymentId: payment.id, err: error instanceof Error ? error.name : 'unknown' }, 'Stars refund refused');
          return { kind: 'refused', reason: 'provider-refused' };
        }
        // The charge row keeps its settlement ('applied'); the payment row and the audit record the refund.
        to = 'stars';
      } else {
        const atProvider = await refundAtProvider(payment, provider as PaymentProvider, trail ?? { canceled: 0 });
        if ('kind' in atProvider) return atProvider;
        detail = atProvider.detail;
        to = 'card';
      }
      await recordRefund(payment.id, payment.user_id, to, detail, actor);
      if (topUp !== null) {
        try {
          await takeBackTopUp(deps.db, { topUp, actor });
        } catch (error) {
          if (!(error instanceof InsufficientBalanceError)) throw error;
          // Spent between the check and the refund: the payer has the money twice; an operator settles it.
          log?.error({ paymentId: payment.id, userId: payment.user_id }, 'top-up refunded to the payer but already spent from the balance');
        }
      }
      if (subscription !== null) {
        const cancelled = await deps.operator.cancel({ ...input, subscriptionId: subscription.id });
        if (!cancelled.ok)
          log?.warn(
            { paymentId: payment.id, subscriptionId: subscription.id, reason: cancelled.reason },
            'refunded, but the subscription was not cancelled',
          );
      }
      const plan = subscription?.plan_id == null ? null : await getPlan(deps.db, subscription.plan_id);
      const user = await getUserById(deps.db, payment.user_id);
      const params: Record<string, string | number> =
        to === 'stars' ? { stars: Number(payment.amount.split('.')[0]) } : { amountKopecks: parseMoney(payment.amount).toString() };
      if (plan !== null) params['planName'] = planName(plan, notificationLocale(user?.language_code ?? null));
      if (topUp !== null) params['action'] = 'top_up';
      await tell(payment.id, payment.user_id, params);
      return { kind: 'refunded', to, amount: payment.amount, currency: payment.currency };
    },
  };
}
