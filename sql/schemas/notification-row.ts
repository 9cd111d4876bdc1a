import { z } from 'zod';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/** Outbox status of a message. */
export const notificationStatus = z.enum(['pending', 'sent', 'failed']);

/** A `notifications` row: one message the system sends (or sent), keyed by idempotency_key. */
export const notificationRow = z.object({
  id: idColumn,
  user_id: idColumn,
  type: z.string(),
  title: z.string().nullable(),
  message: z.string().nullable(),
  data: jsonColumn,
  status: notificationStatus,
  scheduled_at: timestampColumn.nullable(),
  sent_at: timestampColumn.nullable(),
  created_at: timestampColumn,
  idempotency_key: z.string(),
  attempts: z.number().int().nonnegative(),
  last_error: z.string().nullable(),
  failed_at: timestampColumn.nullable(),
  telegram_message_id: z.number().int().nullable(),
  updated_at: timestampColumn,
});

/** A `notifications` row. */
export type NotificationRow = z.infer<typeof notificationRow>;
