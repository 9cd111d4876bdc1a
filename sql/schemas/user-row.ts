import { z } from 'zod';
import { idColumn, moneyColumn, timestampColumn } from './columns';

/** A `users` row. `balance` is RUB as decimal text and always equals the sum of the user's ledger. */
export const userRow = z.object({
  id: idColumn,
  telegram_id: z.number().int().positive(),
  username: z.string().nullable(),
  first_name: z.string().nullable(),
  referrer_id: idColumn.nullable(),
  balance: moneyColumn,
  is_active: z.boolean(),
  created_at: timestampColumn,
  updated_at: timestampColumn,
  language_code: z.string().nullable(),
  referral_code: z.string(),
  auto_renew: z.boolean(),
  trial_used_at: timestampColumn.nullable(),
  /** When Telegram last answered 403 for this user (migration 0018); cleared when they write again. */
  blocked_at: timestampColumn.nullable().optional(),
});

/** A `users` row. */
export type UserRow = z.infer<typeof userRow>;
