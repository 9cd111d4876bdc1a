import { z } from 'zod';
import { idColumn, timestampColumn } from './columns';

/** Subscription lifecycle: pending (awaiting payment/provisioning) -> active -> expired | cancelled. */
export const subscriptionStatus = z.enum(['pending', 'active', 'expired', 'cancelled']);

/** One of {@link subscriptionStatus}. */
export type SubscriptionStatus = z.infer<typeof subscriptionStatus>;

/**
 * A `subscriptions` row. start/end are NULL only while pending (or when cancelled before payment); traffic_used is bytes;
 * server_slot_held says whether the row counts in its server's current_users; move_target_server_id
 * (migration 0012) counts in the target's while a two-phase move is under way.
 */
export const subscriptionRow = z.object({
  id: idColumn,
  user_id: idColumn,
  plan_id: idColumn.nullable(),
  start_date: timestampColumn.nullable(),
  end_date: timestampColumn.nullable(),
  status: subscriptionStatus,
  vpn_key: z.string().nullable(),
  qr_code: z.string().nullable(),
  server_id: idColumn.nullable(),
  traffic_used: z.number().int().nonnegative(),
  /** Uploaded / downloaded bytes as last synced from the panel (migration 0016); their sum is traffic_used. */
  traffic_up: z.number().int().nonnegative(),
  traffic_down: z.number().int().nonnegative(),
  created_at: timestampColumn,
  updated_at: timestampColumn,
  xui_client_uuid: z.guid().nullable(),
  xui_email: z.string().nullable(),
  xui_sub_id: z.string().nullable(),
  xui_inbound_id: z.number().int().nullable(),
  sub_token: z.string().min(32),
  server_slot_held: z.boolean(),
  /** Server a move in progress is bringing the client to (holds a slot there); null otherwise. */
  move_target_server_id: idColumn.nullable(),
});

/** A `subscriptions` row. */
export type SubscriptionRow = z.infer<typeof subscriptionRow>;
