import { z } from 'zod';
import { idColumn, moneyColumn, timestampColumn } from './columns';

/** Referral lifecycle: pending (registered) -> paid (bonus credited) | cancelled. */
export const referralStatus = z.enum(['pending', 'paid', 'cancelled']);

/** A `referrals` row. `bonus_amount` is RUB decimal text, set when paid. */
export const referralRow = z.object({
  id: idColumn,
  referrer_id: idColumn,
  referred_id: idColumn,
  bonus_amount: moneyColumn.nullable(),
  status: referralStatus,
  created_at: timestampColumn,
  paid_at: timestampColumn.nullable(),
  source_payment_id: idColumn.nullable(),
  /** When the bonus was taken back because its payment was refunded (migration 0019). */
  bonus_reversed_at: timestampColumn.nullable(),
});

/** A `referrals` row. */
export type ReferralRow = z.infer<typeof referralRow>;
