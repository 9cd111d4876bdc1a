import { z } from 'zod';
import { bigIdColumn, timestampColumn } from './columns';

/** Delivery state of an operator alert (0014). */
export const operatorAlertStatus = z.enum(['pending', 'sent', 'suppressed', 'undeliverable']);

/** One of {@link operatorAlertStatus}. */
export type OperatorAlertStatus = z.infer<typeof operatorAlertStatus>;

/** An `operator_alerts` row: one alert, deduplicated by `alert_key`. */
export const operatorAlertRow = z.object({
  id: bigIdColumn,
  alert_key: z.string(),
  kind: z.string(),
  summary: z.string(),
  subscription_id: z.number().int().nullable(),
  user_id: z.number().int().nullable(),
  payment_id: z.number().int().nullable(),
  server_id: z.number().int().nullable(),
  caller: z.string().nullable(),
  status: operatorAlertStatus,
  created_at: timestampColumn,
  sent_at: timestampColumn.nullable(),
  digested_at: timestampColumn.nullable(),
  digested_by: bigIdColumn.nullable(),
});

/** An `operator_alerts` row. */
export type OperatorAlertRow = z.infer<typeof operatorAlertRow>;
