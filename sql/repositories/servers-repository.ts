import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
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
                               xui_inbound_id, xui_sub_base_url, max_users, is_active, closed_reason)
      VALUES (${input.name}, ${input.location ?? null}, ${input.endpoint}, ${input.xuiPanelUrl ?? null},
              ${input.xuiUsername ?? null}, ${input.xuiWebBasePath ?? ''}, ${input.xuiInboundId ?? null},
              ${input.xuiSubBaseUrl ?? null}, ${input.maxUsers ?? 1000}, ${input.isActive ?? true},
              ${input.isActive === false ? 'operator' : null})
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
export async function listServers(connection: CommonQueryMethods, filter: { activeOnly?: boolean } = {}): Promise<readonly VpnServerRow[]> {
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
          UPDATE vpn_servers SET status = 'up', last_seen_at = now(), down_since = NULL, last_health_error = NULL,
                 up_since = CASE WHEN status = 'down' OR up_since IS NULL THEN now() ELSE up_since END
          WHERE id = ${input.serverId} RETURNING *
        `)
      : await tx.one(sql.type(vpnServerRow)`
          UPDATE vpn_servers
          SET status = 'down', down_since = coalesce(down_since, now()), up_since = NULL,
              last_health_error = ${(input.error ?? 'probe failed').slice(0, 500)}
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
 * Turns a server on or off for new subscriptions (existing ones keep their slots). Closing it
 * records closed_reason 'operator' (never re-opened automatically).
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function setServerActive(
  connection: CommonQueryMethods,
  input: { serverId: number; active: boolean; actor: Actor },
): Promise<VpnServerRow> {
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET is_active = ${input.active}, closed_reason = ${input.active ? null : 'operator'}
      WHERE id = ${input.serverId} RETURNING *
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

/** Why {@link reopenServer} did not open a server. */
export type ReopenRefusal = 'already-open' | 'down' | 'not-healthy-long-enough';

/**
 * Opens a closed server again once it has been healthy (probed up) for at least
 * `healthyForSeconds` on the database clock; `force` skips the health check (an operator who
 * knows). Audited `server.reopened` with who, why it was closed and since when it is up.
 *
 * @idempotency serverId: opening an open server changes nothing (`already-open`)
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function reopenServer(
  connection: CommonQueryMethods,
  input: { serverId: number; healthyForSeconds: number; force?: boolean; actor: Actor },
): Promise<{ reopened: true; server: VpnServerRow } | { reopened: false; reason: ReopenRefusal; server: VpnServerRow }> {
  return connection.transaction(async (tx) => {
    const before = await tx.maybeOne(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${input.serverId} FOR UPDATE`);
    if (before === null) throw new RecordNotFoundError('server');
    if (before.is_active) return { reopened: false, reason: 'already-open', server: before };
    if (input.force !== true) {
      if (before.status !== 'up' || before.up_since === null) return { reopened: false, reason: 'down', server: before };
      const healthy = await tx.oneFirst(sql.type(z.object({ ok: z.boolean() }))`
        SELECT ${before.up_since.toISOString()}::timestamptz <= now() - make_interval(secs => ${input.healthyForSeconds}) AS ok
      `);
      if (!healthy) return { reopened: false, reason: 'not-healthy-long-enough', server: before };
    }
    const server = await tx.one(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET is_active = true, closed_reason = NULL WHERE id = ${input.serverId} RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.reopened',
      entityType: 'vpn_server',
      entityId: server.id,
      details: {
        closed_reason: before.closed_reason,
        up_since: before.up_since?.toISOString() ?? null,
        forced: input.force === true,
        healthy_for_seconds: input.healthyForSeconds,
      },
    });
    return { reopened: true, server };
  });
}

/**
 * Servers the failover closed (closed_reason 'failover') that the probe has seen up for at least
 * `healthyForSeconds`, by id: what automatic re-opening opens.
 */
export async function listReopenCandidates(
  connection: CommonQueryMethods,
  input: { healthyForSeconds: number },
): Promise<readonly number[]> {
  return connection.anyFirst(sql.type(z.object({ id: z.number().int() }))`
    SELECT id FROM vpn_servers
    WHERE NOT is_active AND closed_reason = 'failover' AND status = 'up' AND up_since IS NOT NULL
      AND up_since <= now() - make_interval(secs => ${input.healthyForSeconds})
    ORDER BY id
  `);
}

/** Fields of a server an operator may change; undefined keeps the current value. */
export interface ServerChanges {
  name?: string;
  location?: string | null;
  endpoint?: string;
  xuiPanelUrl?: string | null;
  xuiWebBasePath?: string;
  xuiInboundId?: number | null;
  xuiSubBaseUrl?: string | null;
  maxUsers?: number;
  /** Forget the recorded API generation so the next use detects it again. */
  resetApiVersion?: boolean;
}

/**
 * Changes a server's operator-set fields. A new panel URL or web base path also forgets the
 * recorded API generation (another panel may speak another one). Audited `server.updated` with
 * the names of the changed fields and their new values (no secrets live in these columns).
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server; slonik's
 *   CheckIntegrityConstraintViolationError for values the table forbids (e.g. a capacity below the
 *   users already placed)
 */
export async function updateServer(
  connection: CommonQueryMethods,
  input: { serverId: number; changes: ServerChanges; actor: Actor },
): Promise<VpnServerRow> {
  const c = input.changes;
  const set = <T>(value: T | undefined) => ({ given: value !== undefined, value: value ?? null });
  const name = set(c.name);
  const location = set(c.location);
  const endpoint = set(c.endpoint);
  const panelUrl = set(c.xuiPanelUrl);
  const basePath = set(c.xuiWebBasePath);
  const inbound = set(c.xuiInboundId);
  const subBase = set(c.xuiSubBaseUrl);
  const maxUsers = set(c.maxUsers);
  const forgetVersion = c.resetApiVersion === true || panelUrl.given || basePath.given;
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET
        name = CASE WHEN ${name.given} THEN ${name.value}::text ELSE name END,
        location = CASE WHEN ${location.given} THEN ${location.value}::text ELSE location END,
        endpoint = CASE WHEN ${endpoint.given} THEN ${endpoint.value}::text ELSE endpoint END,
        xui_panel_url = CASE WHEN ${panelUrl.given} THEN ${panelUrl.value}::text ELSE xui_panel_url END,
        xui_web_base_path = CASE WHEN ${basePath.given} THEN ${basePath.value}::text ELSE xui_web_base_path END,
        xui_inbound_id = CASE WHEN ${inbound.given} THEN ${inbound.value}::int ELSE xui_inbound_id END,
        xui_sub_base_url = CASE WHEN ${subBase.given} THEN ${subBase.value}::text ELSE xui_sub_base_url END,
        max_users = CASE WHEN ${maxUsers.given} THEN ${maxUsers.value}::int ELSE max_users END,
        xui_api_version = CASE WHEN ${forgetVersion} THEN NULL ELSE xui_api_version END
      WHERE id = ${input.serverId}
      RETURNING *
    `);
    if (server === null) throw new RecordNotFoundError('server');
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(c)) if (value !== undefined) details[key] = value;
    await writeAuditLog(tx, { actor: input.actor, action: 'server.updated', entityType: 'vpn_server', entityId: server.id, details });
    return server;
  });
}

/** How many subscriptions name a server (where they live or a move is bringing them). */
export async function countSubscriptionsReferencingServer(connection: CommonQueryMethods, serverId: number): Promise<number> {
  return connection.oneFirst(sql.type(z.object({ n: z.number().int() }))`
    SELECT count(*)::int AS n FROM subscriptions WHERE server_id = ${serverId} OR move_target_server_id = ${serverId}
  `);
}

/**
 * Deletes a server no subscription names (a row added by mistake). Audited `server.removed`.
 *
 * @returns false when subscriptions still name it (nothing deleted: close it instead)
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function deleteUnusedServer(connection: CommonQueryMethods, input: { serverId: number; actor: Actor }): Promise<boolean> {
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${input.serverId} FOR UPDATE`);
    if (server === null) throw new RecordNotFoundError('server');
    if ((await countSubscriptionsReferencingServer(tx, input.serverId)) > 0) return false;
    await tx.query(sql.unsafe`DELETE FROM vpn_servers WHERE id = ${input.serverId}`);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.removed',
      entityType: 'vpn_server',
      entityId: input.serverId,
      details: { name: server.name, panel_url: server.xui_panel_url, inbound_id: server.xui_inbound_id },
    });
    return true;
  });
}
