import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { DatabasePool } from '../lib/db/create-pool';
import { ConfigError, InsufficientBalanceError, RecordNotFoundError, SubscriptionStateError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { parseMoney } from '../lib/money';
import { PaymentRejectedError, isPaymentError, type PaymentProviderName } from '../lib/payments/payment-errors';
import type { ExternalPaymentMethod, PaymentProvider } from '../lib/payments/payment-provider';
import type { PaymentProviders } from '../lib/payments/payments-config';
import { decidePaymentVerdict } from '../usecases/decide-payment-verdict';
import type { Actor } from '../sql/repositories/audit-repository';
import { debitBalance } from '../sql/repositories/ledger-repository';
import {
  getPayment,
  markPaymentCancelled,
  markPaymentCompleted,
  markPaymentFailed,
  setPaymentExternalId,
} from '../sql/repositories/payments-repository';
import { hasUndecidedStarsCharge } from '../sql/repositories/stars-charges-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import { getTopUpByPayment } from '../sql/repositories/top-ups-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { getUserById } from '../sql/repositories/users-repository';
import { pickLocale } from '../texts/locale';
import { planName } from '../usecases/plan-names';
import type { PaymentRow } from '../sql/schemas/payment-row';
import { signalWithStartSubscription } from '../clients/subscription-workflow-client';
import { flagPaymentMismatch } from './flag-payment-mismatch';
import type { InvoiceResult, PaymentFailureReason, VerdictResult } from './contracts/payment-activities';
import { asActivity } from './to-activity-failure';
import type { LifecycleSettings } from './contracts/settings-activities';

/** What the payment activities need beyond the database and the logger. */
export interface PaymentActivityDeps {
  /** The configured providers (lib/payments/payments-config.ts). */
  providers: PaymentProviders;
  /** Client and task queue for signal-with-start of `subscription-{id}`. */
  temporal: { client: Client; taskQueue: string };
  /** Where providers send the payer back after paying (http(s) URL or t.me link). */
  returnUrl: string;
}

/** Dependencies of {@link createPaymentActivities}. */
export interface PaymentActivitiesInput {
  db: DatabasePool;
  logger: Logger;
  /** Absent in processes and tests that run no payments: the activities then fail non-retryably. */
  payments?: PaymentActivityDeps | undefined;
  /** The worker's lifecycle settings, handed to a subscription workflow the hand-off starts. */
  lifecycle?: LifecycleSettings | undefined;
}

const ACTOR: Actor = { type: 'system', component: 'activity:payment' };
const EXTERNAL_METHODS: readonly string[] = ['card', 'sbp', 'crypto'] satisfies ExternalPaymentMethod[];
const storedInvoice = z.object({ confirmationUrl: z.string() });

/** The idempotency key of a payment's (only) invoice attempt. */
export function invoiceIdempotencyKey(paymentId: number): string {
  return `payment-${paymentId}-attempt-1`;
}

function verdictOf(row: PaymentRow, completedNow = false, failureReason?: PaymentFailureReason): VerdictResult {
  switch (row.status) {
    case 'pending':
      return { status: 'pending', completedNow: false };
    case 'completed':
    case 'refunded':
      return { status: 'completed', completedNow };
    case 'failed':
      return { status: 'failed', completedNow: false, ...(failureReason ? { failureReason } : {}) };
    case 'cancelled':
      return { status: 'cancelled', completedNow: false };
  }
}

/**
 * The activities of `payment-{paymentId}`: invoice creation, verdict confirmation against the
 * provider, expiry, and the hand-off of a completed payment to its subscription workflow.
 */
export function createPaymentActivities(deps: PaymentActivitiesInput) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:payment' });

  function configured(): PaymentActivityDeps {
    if (deps.payments === undefined) throw new ConfigError('payments are not configured in this worker');
    return deps.payments;
  }

  async function load(paymentId: number): Promise<PaymentRow> {
    const payment = await getPayment(db, paymentId);
    if (payment === null) throw new RecordNotFoundError('payment');
    return payment;
  }

  function providerOf(payment: PaymentRow): PaymentProvider | undefined {
    return configured().providers.byName[payment.provider as PaymentProviderName];
  }

  /** Asks the provider and applies its verdict; for payments without a provider, reads the row. */
  async function confirm(payment: PaymentRow): Promise<VerdictResult> {
    const provider = providerOf(payment);
    if (payment.external_id === null || !EXTERNAL_METHODS.includes(payment.payment_method)) return verdictOf(payment);
    if (provider === undefined) throw new ConfigError(`payment provider '${payment.provider}' is not configured`);
    const snapshot = await provider.fetchStatus(payment.external_id);
    const verdict = decidePaymentVerdict(payment, snapshot);
    switch (verdict.action) {
      case 'complete': {
        const { completed, payment: row } = await markPaymentCompleted(db, { paymentId: payment.id, actor: ACTOR });
        if (completed) log.info({ paymentId: payment.id, provider: payment.provider }, 'payment completed');
        return verdictOf(row, completed);
      }
      case 'already-completed':
        return verdictOf(payment);
      case 'flag-mismatch': {
        const row = await flagPaymentMismatch(db, { payment, snapshot, mismatches: verdict.mismatches, actor: ACTOR });
        log.warn(
          { paymentId: payment.id, provider: payment.provider, mismatches: verdict.mismatches },
          'paid amount does not match the order; flagged for an operator',
        );
        return row.status === 'failed' ? verdictOf(row, false, 'order-mismatch') : verdictOf(row);
      }
      case 'cancel': {
        const { payment: row } = await markPaymentCancelled(db, {
          paymentId: payment.id,
          actor: ACTOR,
          reason: verdict.reason.slice(0, 100),
        });
        return verdictOf(row);
      }
      case 'wait':
        return { status: 'pending', completedNow: false };
    }
  }

  async function failWith(payment: PaymentRow, reason: PaymentFailureReason): Promise<InvoiceResult> {
    await markPaymentFailed(db, { paymentId: payment.id, actor: ACTOR, reason });
    return { kind: 'failed', reason };
  }

  async function payFromBalance(payment: PaymentRow): Promise<InvoiceResult> {
    try {
      await db.transaction(async (tx) => {
        await debitBalance(tx, {
          userId: payment.user_id,
          amount: payment.amount,
          reason: 'subscription_purchase',
          source: { table: 'payments', id: payment.id },
          idempotencyKey: `payment:${payment.id}:purchase`,
          actor: ACTOR,
        });
        await markPaymentCompleted(tx, { paymentId: payment.id, actor: ACTOR });
      });
      return { kind: 'completed' };
    } catch (error) {
      if (error instanceof InsufficientBalanceError) return failWith(payment, 'insufficient-balance');
      throw error;
    }
  }

  /** What the payment page shows: the plan in the payer's language and the order number. */
  async function invoiceDescription(payment: PaymentRow): Promise<string> {
    const user = await getUserById(db, payment.user_id);
    const locale = pickLocale(user?.language_code ?? undefined);
    const subscription = payment.subscription_id === null ? null : await getSubscription(db, payment.subscription_id);
    const plan = subscription?.plan_id == null ? null : await getPlan(db, subscription.plan_id);
    const topUp = subscription === null ? await getTopUpByPayment(db, payment.id) : null;
    const what =
      topUp !== null
        ? locale === 'en'
          ? 'VPN balance top-up'
          : 'Пополнение баланса VPN'
        : plan === null
          ? locale === 'en'
            ? 'VPN subscription'
            : 'Подписка VPN'
          : `VPN: ${planName(plan, locale)}`;
    return `${what}, ${locale === 'en' ? 'order' : 'заказ'} ${payment.id}`;
  }

  async function createExternalInvoice(payment: PaymentRow): Promise<InvoiceResult> {
    if (payment.external_id !== null) {
      return { kind: 'awaiting', confirmationUrl: storedInvoice.safeParse(payment.external_data).data?.confirmationUrl ?? null };
    }
    if (payment.status !== 'pending') return { kind: 'closed', status: payment.status === 'failed' ? 'failed' : 'cancelled' };
    const provider = providerOf(payment);
    if (provider === undefined) return failWith(payment, 'method-unavailable');
    if (payment.currency !== 'RUB') return failWith(payment, 'provider-rejected');
    let created;
    try {
      created = await provider.createInvoice({
        orderId: payment.id,
        amountKopecks: parseMoney(payment.amount),
        currency: 'RUB',
        description: await invoiceDescription(payment),
        method: payment.payment_method as ExternalPaymentMethod,
        returnUrl: configured().returnUrl,
        idempotencyKey: invoiceIdempotencyKey(payment.id),
      });
    } catch (error) {
      if (error instanceof PaymentRejectedError || error instanceof RangeError) {
        log.warn(
          { paymentId: payment.id, provider: payment.provider, code: isPaymentError(error) ? error.code : 'RANGE' },
          'provider refused the invoice',
        );
        return failWith(payment, 'provider-rejected');
      }
      throw error;
    }
    await setPaymentExternalId(db, {
      paymentId: payment.id,
      externalId: created.externalId,
      externalData: {
        confirmationUrl: created.confirmationUrl,
        ...(created.expiresAt ? { expiresAt: created.expiresAt.toISOString() } : {}),
      },
      actor: ACTOR,
    });
    return { kind: 'awaiting', confirmationUrl: created.confirmationUrl };
  }

  return {
    /**
     * Creates the payment's invoice: at the provider that took the order (key
     * `payment-<id>-attempt-1`, external id and confirmation URL stored on the row); for 'balance'
     * debits the ledger and completes the payment in one transaction; for 'stars' nothing (the bot
     * sent the invoice). A payment that already has an invoice gets the stored one back.
     * @idempotency paymentId (provider idempotency key, ledger key `payment:<id>:purchase`)
     * @throws ApplicationFailure NOT_FOUND, CONFIG_INVALID (non-retryable); PAYMENT_UNAVAILABLE (retryable)
     */
    async createInvoice(input: { paymentId: number }): Promise<InvoiceResult> {
      return asActivity(async () => {
        const payment = await load(input.paymentId);
        if (payment.status === 'completed' || payment.status === 'refunded') return { kind: 'completed' };
        if (payment.payment_method === 'balance') {
          return payment.status === 'pending'
            ? payFromBalance(payment)
            : { kind: 'closed', status: payment.status === 'failed' ? 'failed' : 'cancelled' };
        }
        if (payment.payment_method === 'stars') {
          return payment.status === 'pending'
            ? { kind: 'awaiting', confirmationUrl: null }
            : { kind: 'closed', status: payment.status === 'failed' ? 'failed' : 'cancelled' };
        }
        return createExternalInvoice(payment);
      });
    },

    /**
     * Re-reads the payment at its provider (the source of truth) and applies the verdict: paid and
     * matching → completed exactly once (`completedNow` says whether this call did it); paid but
     * mismatching → failed and flagged (audit `payment.mismatch_flagged`, warn log); cancelled or
     * expired → cancelled; else pending.
     * @idempotency paymentId (conditional status updates)
     */
    async confirmPayment(input: { paymentId: number }): Promise<VerdictResult> {
      return asActivity(async () => confirm(await load(input.paymentId)));
    },

    /**
     * The verdict timeout: asks the provider one last time (a lost webhook must not lose a payment),
     * withdraws the invoice where the provider can, and marks the payment cancelled. A Stars order
     * with a stored charge not yet settled stays pending (the charge's settlement completes it).
     * @idempotency paymentId
     */
    async expirePayment(input: { paymentId: number }): Promise<VerdictResult> {
      return asActivity(async () => {
        let payment = await load(input.paymentId);
        const provider = payment.external_id === null ? undefined : providerOf(payment);
        if (provider !== undefined && payment.external_id !== null) {
          try {
            const verdict = await confirm(payment);
            if (verdict.status !== 'pending') return verdict;
            await provider.cancelInvoice?.(payment.external_id);
          } catch (error) {
            if (!isPaymentError(error)) throw error;
            log.warn(
              { paymentId: payment.id, provider: payment.provider, code: error.code },
              'could not withdraw the invoice at the provider',
            );
            const verdict = await confirm(await load(input.paymentId)).catch(() => undefined);
            if (verdict !== undefined && verdict.status !== 'pending') return verdict;
          }
        }
        if (payment.payment_method === 'stars' && (await hasUndecidedStarsCharge(db, payment.id))) {
          // A Stars charge for this order is stored and about to be settled: it completes the order.
          log.info({ paymentId: payment.id }, 'a stored Stars charge is not settled yet; the order is not cancelled');
          return verdictOf(payment);
        }
        payment = (await markPaymentCancelled(db, { paymentId: input.paymentId, actor: ACTOR, reason: 'timeout' })).payment;
        return verdictOf(payment);
      });
    },

    /**
     * Marks a payment failed when its invoice could not be created at all.
     * @idempotency paymentId
     */
    async abandonPayment(input: { paymentId: number; reason: PaymentFailureReason }): Promise<VerdictResult> {
      return asActivity(async () => {
        const { payment } = await markPaymentFailed(db, { paymentId: input.paymentId, actor: ACTOR, reason: input.reason });
        return verdictOf(payment, false, input.reason);
      });
    },

    /**
     * Signal-with-start of `subscription-{subscriptionId}` with `paymentCompleted { paymentId }`
     * (the subscription workflow deduplicates by paymentId). Nothing for a payment without a
     * subscription (a balance top-up).
     * @idempotency paymentId (deduplicated by the receiving workflow)
     */
    async notifySubscriptionOfPayment(input: { paymentId: number }): Promise<{ workflowId: string | null }> {
      return asActivity(async () => {
        const payment = await load(input.paymentId);
        if (payment.status !== 'completed') throw new SubscriptionStateError(`payment ${payment.id} is ${payment.status}, not completed`);
        if (payment.subscription_id === null) return { workflowId: null };
        const subscription = await getSubscription(db, payment.subscription_id);
        if (subscription === null) throw new RecordNotFoundError('subscription');
        if (subscription.plan_id === null) throw new SubscriptionStateError(`subscription ${subscription.id} has no plan`);
        const workflowId = await signalWithStartSubscription(
          configured().temporal,
          {
            subscriptionId: subscription.id,
            userId: subscription.user_id,
            planId: subscription.plan_id,
            ...(deps.lifecycle === undefined ? {} : { settings: deps.lifecycle }),
          },
          'paymentCompleted',
          { paymentId: payment.id },
        );
        return { workflowId };
      });
    },
  };
}
