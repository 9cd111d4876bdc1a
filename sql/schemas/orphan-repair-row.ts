import { z } from 'zod';
import { bigIdColumn, idColumn, timestampColumn } from './columns';

/** The sweeps that record their repairs in `orphan_repairs` (0014). */
export const orphanSweep = z.enum(['payment_unapplied', 'subscription_without_client', 'cancelled_payment_late_success']);

/** One of {@link orphanSweep}. */
export type OrphanSweep = z.infer<typeof orphanSweep>;

/** An `orphan_repairs` row: one orphan a sweep acted on, with its backoff. */
export const orphanRepairRow = z.object({
  id: bigIdColumn,
  sweep: orphanSweep,
  /** A payment id, or a subscription id for subscription_without_client. */
  entity_id: idColumn,
  attempts: z.number().int().nonnegative(),
  first_at: timestampColumn,
  last_at: timestampColumn,
  next_at: timestampColumn,
  last_sweep_id: z.string().nullable(),
  last_outcome: z.string().nullable(),
});

/** An `orphan_repairs` row. */
export type OrphanRepairRow = z.infer<typeof orphanRepairRow>;
