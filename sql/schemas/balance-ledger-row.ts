import { z } from 'zod';
import { bigIdColumn, idColumn, moneyColumn, timestampColumn } from './columns';

/** Why a balance moved. Credits: top_up, referral_bonus, refund; debit: subscription_purchase. */
export const ledgerReason = z.enum([
  'top_up',
  'referral_bonus',
  'refund',
  'subscription_purchase',
  'operator_adjustment',
  'referral_reversal',
]);

/** One of {@link ledgerReason}. */
export type LedgerReason = z.infer<typeof ledgerReason>;

/** Tables a ledger row may name as its source. */
export const ledgerSourceTable = z.enum(['payments', 'referrals', 'subscriptions', 'audit_logs']);

/** One of {@link ledgerSourceTable}. */
export type LedgerSourceTable = z.infer<typeof ledgerSourceTable>;

/** A `balance_ledger` row: a signed RUB amount (decimal text) and the balance right after it. */
export const balanceLedgerRow = z.object({
  id: bigIdColumn,
  user_id: idColumn,
  amount: moneyColumn,
  balance_after: moneyColumn,
  reason: ledgerReason,
  source_table: ledgerSourceTable.nullable(),
  source_id: z.number().int().nullable(),
  idempotency_key: z.string(),
  created_at: timestampColumn,
});

/** A `balance_ledger` row. */
export type BalanceLedgerRow = z.infer<typeof balanceLedgerRow>;
