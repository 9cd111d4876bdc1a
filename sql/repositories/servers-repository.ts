import { sql, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError } from '../../lib/errors';
import { vpnServerRow, type VpnServerRow } from '../schemas/vpn-server-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** A server as an operator adds it. Panel secrets are set separately (server-credentials-repository). */
export interface NewServer {
  name: string;
  location?: string | null;
  /** `host:port` clients connect to. */
  endpoint: string;
  xuiPanelUrl?: string | null;
  xuiUsername?: string | null;
  /** '' (root) or '/seg[/seg...]' without a trailing slash. */
  xuiWebBasePath?: string;
  xuiInboundId?: number | null;
  xuiSubBaseUrl?: string | null;
  /** Capacity in subscriptions; default 1000 (the seed's). */
  maxUsers?: number;
  isActive?: boolean;
  actor: Actor;
}

/**
 * Adds a server.
 *
 * @throws slonik's CheckIntegrityConstraintViolationError for values the table forbids
 */
export async function createServer(connection: CommonQueryMethods, input: NewServer): Promise<VpnServerRow> {
  return connection.transaction(async (tx) => {
    const server = await tx.one(sql.type(vpnServerRow)`
      INSERT INTO vpn_servers (name, location, endpoint, xui_panel_url, xui_username, xui_web_base_path,
                               xui_inbound_id, xui_sub_base_url, max_users, is_active)
      VALUES (${input.name}, ${input.location ?? null}, ${input.endpoint}, ${input.xuiPanelUrl ?? null},
              ${input.xuiUsername ?? null}, ${input.xuiWebBasePath ?? ''}, ${input.xuiInboundId ?? null},
              ${input.xuiSubBaseUrl ?? null}, ${input.maxUsers ?? 1000}, ${input.isActive ?? true})
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.created',
      entityType: 'vpn_server',
      entityId: server.id,
      details: { name: server.name, max_users: server.max_users },
    });
    return server;
  });
}

/** The server with this id, or null. */
export async function getServer(connection: CommonQueryMethods, serverId: number): Promise<VpnServerRow | null> {
  return connection.maybeOne(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${serverId}`);
}

/** Every server (or only active ones), by id. */
export async function listServers(
  connection: CommonQueryMethods,
  filter: { activeOnly?: boolean } = {},
): Promise<readonly VpnServerRow[]> {
  return connection.any(sql.type(vpnServerRow)`
    SELECT * FROM vpn_servers WHERE (NOT ${filter.activeOnly ?? false}::boolean OR is_active) ORDER BY id
  `);
}

/**
 * Records a health probe's verdict. Up: last_seen_at = now, down_since cleared. Down: down_since set
 * on the transition and kept while it stays down (failover measures "down for longer than X" from
 * it). Only transitions are audited; a heartbeat that changes nothing but last_seen_at is
 * bookkeeping, and auditing every probe would bury the log.
 *
 * @param input.error short reason for a failed probe, no secrets (truncated to 500 characters)
 * @returns the row and whether the status changed
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function recordServerHealth(
  connection: CommonQueryMethods,
  input: { serverId: number; up: boolean; error?: string | null; actor: Actor },
): Promise<{ changed: boolean; server: VpnServerRow }> {
  return connection.transaction(async (tx) => {
    const before = await tx.maybeOne(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${input.serverId} FOR UPDATE`);
    if (before === null) throw new RecordNotFoundError('server');
    const server = input.up
      ? await tx.one(sql.type(vpnServerRow)`
          UPDATE vpn_servers SET status = 'up', last_seen_at = now(), down_since = NULL, last_health_error = NULL
          WHERE id = ${input.serverId} RETURNING *
        `)
      : await tx.one(sql.type(vpnServerRow)`
          UPDATE vpn_servers
          SET status = 'down', down_since = coalesce(down_since, now()), last_health_error = ${(input.error ?? 'probe failed').slice(0, 500)}
          WHERE id = ${input.serverId} RETURNING *
        `);
    const changed = before.status !== server.status;
    if (changed) {
      await writeAuditLog(tx, {
        actor: input.actor,
        action: server.status === 'up' ? 'server.up' : 'server.down',
        entityType: 'vpn_server',
        entityId: server.id,
        details: { error: server.last_health_error },
      });
    }
    return { changed, server };
  });
}

/**
 * Records which 3X-UI API generation the panel speaks (detected once per panel).
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function setServerApiVersion(
  connection: CommonQueryMethods,
  input: { serverId: number; version: 'v2' | 'v3'; actor: Actor },
): Promise<VpnServerRow> {
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET xui_api_version = ${input.version} WHERE id = ${input.serverId} RETURNING *
    `);
    if (server === null) throw new RecordNotFoundError('server');
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.api_version_set',
      entityType: 'vpn_server',
      entityId: server.id,
      details: { version: input.version },
    });
    return server;
  });
}

/**
 * Turns a server on or off for new subscriptions (existing ones keep their slots).
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function setServerActive(
  connection: CommonQueryMethods,
  input: { serverId: number; active: boolean; actor: Actor },
): Promise<VpnServerRow> {
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET is_active = ${input.active} WHERE id = ${input.serverId} RETURNING *
    `);
    if (server === null) throw new RecordNotFoundError('server');
    await writeAuditLog(tx, {
      actor: input.actor,
      action: input.active ? 'server.activated' : 'server.deactivated',
      entityType: 'vpn_server',
      entityId: server.id,
    });
    return server;
  });
}

/**
 * The other server rows on the same panel (same panel URL and web base path; one row per inbound
 * sold), by id.
 */
export async function listSiblingServers(
  connection: CommonQueryMethods,
  input: { serverId: number; panelUrl: string; webBasePath: string },
): Promise<readonly VpnServerRow[]> {
  return connection.any(sql.type(vpnServerRow)`
    SELECT * FROM vpn_servers
    WHERE id <> ${input.serverId} AND rtrim(xui_panel_url, '/') = rtrim(${input.panelUrl}, '/') AND xui_web_base_path = ${input.webBasePath}
    ORDER BY id
  `);
}
