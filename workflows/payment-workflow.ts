import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type {
  FailedCheckoutActivities,
  FailedCheckoutReason,
  PaidOrderActivities,
  PaymentActivities,
  PaymentMismatchActivities,
} from '../activities/contracts/payment-activities';
import { ActivityProfile, LOCAL_PAYMENT_STEPS_PATCH, LocalActivityProfile } from './activity-options';
import { PaymentStatusAttribute, QueryName, SignalName, UpdateName } from './contract';
import {
  afterInvoice,
  afterVerdict,
  initialPaymentState,
  paymentTimeoutMs,
  type PaymentPhase,
  type PaymentState,
  type PaymentWorkflowInput,
} from './payment-state';

export type { PaymentState, PaymentWorkflowInput } from './payment-state';

/** Signal: the provider's webhook (or the reconciler) says a verdict may be in. Carries nothing trusted. */
export const paymentVerdictSignal = defineSignal<[PaymentVerdictHint?]>(SignalName.paymentVerdict);
/** Query: the current state (phase, confirmation URL). */
export const getPaymentStateQuery = defineQuery<PaymentState>(QueryName.getPaymentState);
/** Update: returns the state once the invoice exists (or the payment ended); used with update-with-start. */
export const waitForInvoiceUpdate = defineUpdate<PaymentState>(UpdateName.waitForInvoice);

/** What the sender of a verdict signal says; informational only (the workflow re-asks the provider). */
export interface PaymentVerdictHint {
  /** Who sent it: 'webhook:<provider>', 'reconciler', 'bot:stars'. */
  source?: string;
  /** The provider's event kind as the webhook claimed it. */
  kind?: string;
}

const payments = proxyActivities<PaymentActivities>(ActivityProfile.payments);
const database = proxyActivities<PaymentActivities>(ActivityProfile.database);
const handOff = proxyActivities<PaymentActivities>(ActivityProfile.temporal);
const localPayments = proxyLocalActivities<PaymentActivities>(LocalActivityProfile.payments);
const telegram = proxyActivities<PaymentMismatchActivities & FailedCheckoutActivities & PaidOrderActivities>(ActivityProfile.telegram);

/**
 * Patch marker of the mismatch report (runs recorded before it ended without one). Exported for
 * the replay tests.
 */
export const MISMATCH_REPORT_PATCH = 'payment-mismatch-reported';

/**
 * Patch marker of the failed-checkout message (runs recorded before it ended failed, cancelled or
 * expired without telling the user). Exported for the replay tests.
 */
export const FAILED_CHECKOUT_NOTICE_PATCH = 'notify-failed-checkout';

/**
 * Patch marker of the paid-order message (runs recorded before it completed a top-up or a gift's
 * order without telling the user). Exported for the replay tests.
 */
export const PAID_ORDER_NOTICE_PATCH = 'notify-paid-order';

/** PaymentStatus search attribute value per phase. */
const STATUS: Record<PaymentPhase, string> = {
  creating: 'pending',
  awaiting: 'pending',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * `payment-{paymentId}`: creates the invoice (provider by the payment's method; 'balance' debits
 * the ledger and completes at once; 'stars' has nothing to create), then waits for verdict signals
 * until the timeout. Each signal makes `confirmPayment` re-read the provider's status, the only
 * source of truth. A completed payment is handed to `subscription-{subscriptionId}` once (an order
 * without a subscription, a top-up or a gift, is told to its payer instead); at the
 * timeout the invoice is withdrawn at the provider (where it can be) and the payment cancelled.
 * A payment that ended otherwise is checked for a flagged mismatch (paid, but not this order's
 * amount, currency or id), which is reported to the operators and the user.
 * Referral payouts are the subscription workflow's business, not this one's.
 */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentState> {
  let state = initialPaymentState(input.paymentId);
  let unhandledVerdicts = 0;
  setHandler(paymentVerdictSignal, () => {
    state = { ...state, verdictSignals: state.verdictSignals + 1 };
    unhandledVerdicts += 1;
  });
  setHandler(getPaymentStateQuery, () => state);
  setHandler(waitForInvoiceUpdate, async () => {
    await condition(() => state.phase !== 'creating');
    return state;
  });

  const setPhase = (next: PaymentState) => {
    if (STATUS[next.phase] !== STATUS[state.phase]) upsertSearchAttributes([{ key: PaymentStatusAttribute, value: STATUS[next.phase] }]);
    state = next;
  };

  try {
    setPhase(afterInvoice(state, await payments.createInvoice({ paymentId: input.paymentId })));
  } catch (error) {
    // The provider stayed unreachable for the whole retry budget: fail the order rather than the workflow.
    if (!(error instanceof ActivityFailure)) throw error;
    log.warn('invoice could not be created; failing the payment', { paymentId: input.paymentId });
    setPhase(afterVerdict(state, await database.abandonPayment({ paymentId: input.paymentId, reason: 'provider-unavailable' })));
  }

  // Only a payment the user got a payment link for: a refusal at the invoice the bot answered at once.
  const invoiced = state.phase === 'awaiting';
  let expired = false;
  const deadline = Date.now() + paymentTimeoutMs(input);
  while (state.phase === 'awaiting') {
    const signalled = await condition(() => unhandledVerdicts > 0, Math.max(0, deadline - Date.now()));
    if (!signalled) {
      log.info('payment timed out; cancelling', { paymentId: input.paymentId });
      setPhase(afterVerdict(state, await payments.expirePayment({ paymentId: input.paymentId })));
      expired = true;
      break;
    }
    unhandledVerdicts = 0;
    try {
      setPhase(
        afterVerdict(
          state,
          await (patched(LOCAL_PAYMENT_STEPS_PATCH) ? localPayments : payments).confirmPayment({ paymentId: input.paymentId }),
        ),
      );
    } catch (error) {
      // The provider could not be asked: keep waiting; the next signal or the timeout asks again.
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('verdict could not be confirmed; waiting for the next signal', { paymentId: input.paymentId });
    }
  }

  if (state.phase === 'completed') {
    // An activity, not a local one: its completion is in the history before the workflow completes,
    // so a verdict signal arriving meanwhile (a redelivered webhook) cannot make the hand-off run,
    // and signal the subscription, twice.
    const { workflowId } = await handOff.notifySubscriptionOfPayment({ paymentId: input.paymentId });
    state = { ...state, subscriptionNotified: true };
    // No subscription to hand it to: a balance top-up (credited with the completion) or a gift's
    // order (redeemable now). Its payer hears of it here, once.
    if (workflowId === null && patched(PAID_ORDER_NOTICE_PATCH)) {
      try {
        await telegram.notifyPaidOrder({ paymentId: input.paymentId });
      } catch (error) {
        if (!(error instanceof ActivityFailure)) throw error;
        log.error('the paid order could not be told to the user', { paymentId: input.paymentId });
      }
    }
  } else if (patched(MISMATCH_REPORT_PATCH)) {
    // Paid, but not for this order (flagged by confirmPayment; a late one lands on a cancelled
    // order): the operators and the user hear of it, once per payment. Never provisioned.
    try {
      await telegram.reportPaymentMismatch({ paymentId: input.paymentId });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.error('payment mismatch could not be reported', { paymentId: input.paymentId });
    }
  }
  // Ended unpaid after the user got the payment link (a flagged mismatch has its own "under review"
  // message; nobody but the provider or the timeout cancels a payment, so the bot has told the
  // user nothing yet): one message.
  if (invoiced && state.phase !== 'completed' && state.failureReason !== 'order-mismatch' && patched(FAILED_CHECKOUT_NOTICE_PATCH)) {
    const reason: FailedCheckoutReason = state.phase === 'failed' ? 'failed' : expired ? 'expired' : 'cancelled';
    try {
      await telegram.notifyFailedCheckout({ paymentId: input.paymentId, reason });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.error('the failed checkout could not be told to the user', { paymentId: input.paymentId });
    }
  }
  await condition(allHandlersFinished);
  return state;
}
