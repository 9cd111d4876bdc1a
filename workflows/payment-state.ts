/**
 * The payment workflow's input, state and pure transitions (no I/O, unit-tested without Temporal).
 */
import type { InvoiceResult, PaymentFailureReason, VerdictResult } from '../activities/contracts/payment-activities';

/** How long a payment waits for the provider's verdict by default, in minutes. */
export const DEFAULT_PAYMENT_TIMEOUT_MINUTES = 60;

/** Input of `payment-{paymentId}`. */
export interface PaymentWorkflowInput {
  /** `payments.id`. */
  paymentId: number;
  /** How long to wait for the verdict before cancelling the invoice, in minutes (fractions allowed); default 60. */
  timeoutMinutes?: number;
}

/** Where the payment is. `creating` until the invoice exists; the last three are final. */
export type PaymentPhase = 'creating' | 'awaiting' | 'completed' | 'failed' | 'cancelled';

/** The workflow's state, as `getPaymentState` and `waitForInvoice` return it. */
export interface PaymentState {
  paymentId: number;
  phase: PaymentPhase;
  /** Where to send the payer; null before the invoice exists, for Stars and for balance. */
  confirmationUrl: string | null;
  failureReason: PaymentFailureReason | null;
  /** Verdict signals received (duplicates included). */
  verdictSignals: number;
  /** Whether the subscription workflow was told about the completed payment. */
  subscriptionNotified: boolean;
}

/** The state of a new run. */
export function initialPaymentState(paymentId: number): PaymentState {
  return { paymentId, phase: 'creating', confirmationUrl: null, failureReason: null, verdictSignals: 0, subscriptionNotified: false };
}

/** Applies what `createInvoice` did. */
export function afterInvoice(state: PaymentState, result: InvoiceResult): PaymentState {
  switch (result.kind) {
    case 'awaiting':
      return { ...state, phase: 'awaiting', confirmationUrl: result.confirmationUrl };
    case 'completed':
      return { ...state, phase: 'completed' };
    case 'failed':
      return { ...state, phase: 'failed', failureReason: result.reason };
    case 'closed':
      return { ...state, phase: result.status };
  }
}

/** Applies a verdict from `confirmPayment`/`expirePayment`; 'pending' keeps waiting. */
export function afterVerdict(state: PaymentState, result: VerdictResult): PaymentState {
  if (result.status === 'pending') return state;
  return { ...state, phase: result.status, failureReason: result.failureReason ?? state.failureReason };
}

/** Whether the phase is final. */
export function isFinalPhase(phase: PaymentPhase): boolean {
  return phase === 'completed' || phase === 'failed' || phase === 'cancelled';
}

/** The timeout in milliseconds (input minutes, default 60). */
export function paymentTimeoutMs(input: PaymentWorkflowInput): number {
  const minutes = input.timeoutMinutes ?? DEFAULT_PAYMENT_TIMEOUT_MINUTES;
  return Math.max(1, Math.round(minutes * 60_000));
}
