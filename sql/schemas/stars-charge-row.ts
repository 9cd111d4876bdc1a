import { z } from 'zod';
import { bigIdColumn, idColumn, timestampColumn } from './columns';

/** Settlement status of a Stars charge: received -> applied | refunding -> refunded, or unresolved. */
export const starsChargeStatus = z.enum(['received', 'applied', 'refunding', 'refunded', 'unresolved']);

/** A charge's settlement status. */
export type StarsChargeStatus = z.infer<typeof starsChargeStatus>;

/** Who stored the charge first: the bot (the `successful_payment` update) or the reconciler (getStarTransactions). */
export const starsChargeRecordedBy = z.enum(['bot', 'reconciler']);

/** A `stars_charges` row: one Telegram Stars charge, unique per `telegram_payment_charge_id`. */
export const starsChargeRow = z.object({
  id: bigIdColumn,
  telegram_payment_charge_id: z.string(),
  provider_payment_charge_id: z.string().nullable(),
  telegram_user_id: z.number().int().positive(),
  invoice_payload: z.string(),
  currency: z.string(),
  total_amount: z.number().int().positive(),
  raw: z.record(z.string(), z.unknown()),
  recorded_by: starsChargeRecordedBy,
  payment_id: idColumn.nullable(),
  status: starsChargeStatus,
  reason: z.string().nullable(),
  received_at: timestampColumn,
  decided_at: timestampColumn.nullable(),
  handed_off_at: timestampColumn.nullable(),
  refunded_at: timestampColumn.nullable(),
  user_notified_at: timestampColumn.nullable(),
  settled_at: timestampColumn.nullable(),
});

/** A `stars_charges` row. */
export type StarsChargeRow = z.infer<typeof starsChargeRow>;
