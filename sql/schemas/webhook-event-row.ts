import { z } from 'zod';
import { bigIdColumn, idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * Inbox status (0015): received -> handed_off | settled | ignored | failed. Only `settled` is
 * final: a repeat of any other event is processed again (see the 0015 migration header). Since
 * 0017 the api's dispatcher moves received rows on and a failed hand-off stays received (retried);
 * `failed` is left on rows from before 0017, processed again when the provider redelivers.
 */
export const webhookEventStatus = z.enum(['received', 'handed_off', 'settled', 'ignored', 'failed']);

/** One of {@link webhookEventStatus}. */
export type WebhookEventStatus = z.infer<typeof webhookEventStatus>;

/**
 * A `webhook_events` row: one provider event, unique per (provider, event_key), as the first
 * verified delivery carried it. `raw_bytes` (the exact bytes) is not part of the row schema: read
 * it explicitly when needed.
 */
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
  /** Whether raw_body, payload, headers or event_key had to be escaped (0015). */
  sanitized: z.boolean(),
  /** Verified deliveries of this key so far (0015). */
  deliveries: z.number().int().positive(),
  last_delivered_at: timestampColumn,
});

/** A `webhook_events` row. */
export type WebhookEventRow = z.infer<typeof webhookEventRow>;
