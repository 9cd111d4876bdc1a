/**
 * The in-memory shop of the fake YooKassa: payments, refunds and the idempotence-key journal, with
 * object shapes as the API v3 prints them.
 */
import { randomUUID } from 'node:crypto';
import { formatMoney, parseMoney } from '../../lib/money';

/** `{ value: "299.00", currency: "RUB" }`. */
export interface AmountJson {
  value: string;
  currency: string;
}

/** A payment as the fake stores and prints it. */
export interface FakePaymentJson {
  id: string;
  status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
  paid: boolean;
  amount: AmountJson;
  income_amount?: AmountJson;
  description?: string;
  recipient: { account_id: string; gateway_id: string };
  payment_method?: { type: string; id: string; saved: boolean; title?: string };
  created_at: string;
  captured_at?: string;
  confirmation?: { type: 'redirect'; confirmation_url: string; return_url?: string };
  test: boolean;
  refunded_amount?: AmountJson;
  refundable: boolean;
  metadata: Record<string, string>;
  cancellation_details?: { party: string; reason: string };
}

/** A refund as the fake stores and prints it. */
export interface FakeRefundJson {
  id: string;
  payment_id: string;
  status: 'pending' | 'succeeded' | 'canceled';
  amount: AmountJson;
  created_at: string;
  description?: string;
}

/** A recorded answer to an idempotent request. */
export interface JournalEntry {
  /** Method, path and body of the first request. */
  fingerprint: string;
  status: number;
  body: unknown;
}

/** The fake shop's data. */
export interface FakeYooKassaState {
  payments: Map<string, FakePaymentJson>;
  refunds: Map<string, FakeRefundJson>;
  journal: Map<string, JournalEntry>;
  /** New refunds stay 'pending' until the test settles them (as YooKassa does for some methods). */
  refundsPending: boolean;
}

/** An empty shop. */
export function createFakeYooKassaState(): FakeYooKassaState {
  return { payments: new Map(), refunds: new Map(), journal: new Map(), refundsPending: false };
}

/** A YooKassa error body. */
export function errorBody(code: string, description: string, parameter?: string): Record<string, string> {
  return { type: 'error', id: randomUUID(), code, description, ...(parameter === undefined ? {} : { parameter }) };
}

/** What is still refundable, in kopecks. */
export function refundableRemainder(payment: FakePaymentJson): bigint {
  return parseMoney(payment.amount.value) - (payment.refunded_amount ? parseMoney(payment.refunded_amount.value) : 0n);
}

/** YooKassa's commission the fake deducts for `income_amount`: 3.5 %, rounded down to a kopeck. */
export function incomeOf(amount: AmountJson): AmountJson {
  return { value: formatMoney((parseMoney(amount.value) * 965n) / 1000n), currency: amount.currency };
}
