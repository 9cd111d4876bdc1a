import { z } from 'zod';
import { idColumn, timestampColumn } from './columns';

/** A server's health as the probe last saw it. */
export const serverStatus = z.enum(['up', 'down']);

/** Why a closed server is closed (migration 0020): the failover, or an operator. */
export const serverClosedReason = z.enum(['failover', 'operator']);

/** The 3X-UI API generation a panel speaks. */
export const xuiApiVersion = z.enum(['v2', 'v3']);

/**
 * A `vpn_servers` row. The panel secrets appear only as AES-256-GCM boxes (`*_enc`); the seed's
 * plaintext `xui_password` is always NULL (enforced by a CHECK).
 */
export const vpnServerRow = z.object({
  id: idColumn,
  name: z.string(),
  location: z.string().nullable(),
  endpoint: z.string(),
  xui_panel_url: z.string().nullable(),
  xui_username: z.string().nullable(),
  xui_password: z.null(),
  max_users: z.number().int().nonnegative(),
  current_users: z.number().int().nonnegative(),
  is_active: z.boolean(),
  created_at: timestampColumn,
  xui_password_enc: z.string().nullable(),
  xui_api_token_enc: z.string().nullable(),
  xui_api_version: xuiApiVersion.nullable(),
  xui_web_base_path: z.string(),
  xui_inbound_id: z.number().int().positive().nullable(),
  xui_sub_base_url: z.string().nullable(),
  status: serverStatus,
  last_seen_at: timestampColumn.nullable(),
  down_since: timestampColumn.nullable(),
  last_health_error: z.string().nullable(),
  updated_at: timestampColumn,
  /** When the probe last saw the panel come up; null while down (migration 0020). */
  up_since: timestampColumn.nullable(),
  /** Why a closed server is closed; null when open or closed by plain SQL (migration 0020). */
  closed_reason: serverClosedReason.nullable(),
});

/** A `vpn_servers` row. */
export type VpnServerRow = z.infer<typeof vpnServerRow>;
