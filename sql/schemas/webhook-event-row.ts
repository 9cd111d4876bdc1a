import { z } from 'zod';
import { bigIdColumn, idColumn, jsonColumn, timestampColumn } from './columns';

/** Inbox status: received -> processed | ignored | failed. */
export const webhookEventStatus = z.enum(['received', 'processed', 'ignored', 'failed']);

/** A `webhook_events` row: one raw provider event, unique per (provider, event_key). */
export const webhookEventRow = z.object({
  id: bigIdColumn,
  provider: z.string(),
  event_key: z.string(),
  payload: jsonColumn,
  raw_body: z.string(),
  headers: z.record(z.string(), z.unknown()),
  received_at: timestampColumn,
  processed_at: timestampColumn.nullable(),
  status: webhookEventStatus,
  error: z.string().nullable(),
  payment_id: idColumn.nullable(),
});

/** A `webhook_events` row. */
export type WebhookEventRow = z.infer<typeof webhookEventRow>;
