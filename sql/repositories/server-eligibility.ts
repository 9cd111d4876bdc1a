import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { vpnServerRow, type VpnServerRow } from '../schemas/vpn-server-row';

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

const serverId = z.object({ id: z.number().int() });

/**
 * Takes one slot (current_users + 1) on an eligible server ({@link eligibleServer}): `preferServerId`
 * when it is eligible, else the least loaded (lowest current_users / max_users, then fewest users,
 * then lowest id), never `excludeServerId`. Run it inside the caller's transaction, after locking
 * the subscription row (lock order: subscription, then server). Why two callers can never take the
 * same last slot: see server-slots-repository.ts.
 *
 * @returns the server with its new count, or null when no server has room
 */
export async function takeEligibleServerSlot(
  tx: CommonQueryMethods,
  input: { requirePanel: boolean; preferServerId: number | null; excludeServerId?: number },
): Promise<VpnServerRow | null> {
  const eligible = eligibleServer({ requirePanel: input.requirePanel });
  const exclude = input.excludeServerId === undefined ? sql.fragment`` : sql.fragment`AND id <> ${input.excludeServerId}`;
  const pick = await tx.maybeOne(sql.type(serverId)`
    SELECT id FROM vpn_servers
    WHERE ${eligible} ${exclude}
    ORDER BY (id = ${input.preferServerId}::int) IS TRUE DESC,
             current_users::numeric / max_users, current_users, id
    LIMIT 1
    FOR UPDATE
  `);
  if (pick === null) return null;
  return tx.maybeOne(sql.type(vpnServerRow)`
    UPDATE vpn_servers SET current_users = current_users + 1
    WHERE id = ${pick.id} AND ${eligible}
    RETURNING *
  `);
}
