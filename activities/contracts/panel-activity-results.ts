/**
 * What the panel activities return to workflows (plain JSON, no secrets beyond the key and the
 * subscription URL the user is given anyway).
 */
import type { EnsureClientAction } from '../../lib/xui/ensure-client';
import type { PanelApiVersion } from '../../lib/xui/panel-client';

/**
 * Result of `provisionClient`. Deliberately without the key and the subscription URL: activity
 * results are stored in workflow history, which operators read in the UI; the key and URL stay
 * in the database (subscriptions.vpn_key, sub_token) and the notification activity reads them there.
 */
export interface ProvisionClientResult {
  serverId: number;
  /** What the panel needed: 'created', 'updated' or 'unchanged'. */
  action: EnsureClientAction;
}

/** Result of `disableClient`. */
export interface DisableClientResult {
  /** Whether the panel holds the client. */
  found: boolean;
  /** Whether this call disabled it (false when already disabled or absent). */
  changed: boolean;
}

/** Result of `enableClient` and `extendClient`. */
export interface ClientChangeResult {
  serverId: number;
  action: EnsureClientAction;
}

/** Result of `deleteClient`. */
export interface DeleteClientResult {
  /** Whether this call deleted it (false when it was already gone). */
  deleted: boolean;
  /** A v2 panel refuses to delete an inbound's last client; it was disabled instead. */
  disabledInstead: boolean;
  /** (`reason: 'moved'`) Not deleted now: the panel is down or unusable; the reconciler deletes it later. */
  deferred?: true;
  /** (`reason: 'moved'`) Not deleted: the subscription lives on (or is moving to) that server. */
  kept?: true;
}

/** Result of `syncTraffic`. */
export interface SyncTrafficResult {
  /** Subscriptions with a client on the server. */
  subscriptions: number;
  /** Rows whose traffic_used changed. */
  updated: number;
  /** Subscriptions whose client the panel does not report. */
  missing: number;
}

/** Result of `probePanel`. */
export interface ProbePanelResult {
  up: boolean;
  /** Login (when needed) plus inbound listing, in milliseconds; null when down. */
  latencyMs: number | null;
  apiVersion: PanelApiVersion | null;
  /** The error code when down (e.g. PANEL_UNAVAILABLE), else null. */
  error: string | null;
}
