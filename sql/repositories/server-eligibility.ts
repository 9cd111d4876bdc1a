import { sql } from 'slonik';

/**
 * The servers that can take a subscription: open (is_active), healthy (status 'up': the health
 * probe, or a provisioning that just failed there, did not mark it down; a panel refusing our
 * credentials is marked down the same way) and below capacity; with `requirePanel`, also with
 * what a panel client needs (panel URL, inbound id, and username + password or an API token).
 * A WHERE fragment on vpn_servers.
 */
export function eligibleServer(options: { requirePanel: boolean }) {
  const panel = options.requirePanel
    ? sql.fragment`AND coalesce(xui_panel_url, '') <> '' AND xui_inbound_id IS NOT NULL
        AND (xui_api_token_enc IS NOT NULL OR (coalesce(xui_username, '') <> '' AND xui_password_enc IS NOT NULL))`
    : sql.fragment``;
  return sql.fragment`is_active AND status = 'up' AND current_users < max_users ${panel}`;
}
