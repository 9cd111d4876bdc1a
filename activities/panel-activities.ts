import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { isPanelError } from '../lib/xui/panel-errors';
import type { PanelResolver } from '../usecases/panel-for-server';
import type { Actor } from '../sql/repositories/audit-repository';
import { getServer, recordServerHealth } from '../sql/repositories/servers-repository';
import { getSubscription, listServerClientSubscriptions, updateTrafficUsed } from '../sql/repositories/subscriptions-repository';
import { heartbeatIfActivity, heartbeating } from './activity-context';
import type { AlertActivities } from './contracts/alert-activities';
import { toEpochMs } from './panel-client-spec';
import type {
  ClientChangeResult,
  DeleteClientResult,
  DisableClientResult,
  ProbePanelResult,
  ProvisionClientResult,
  SyncTrafficResult,
} from './contracts/panel-activity-results';
import { isServerFault } from './panel-server-faults';
import { createPanelTargets, deleteOrDisableClient } from './panel-targets';
import type { PanelActivities, ProvisionClientInput } from './contracts/panel-activities';
import { createProvisionClient } from './provision-client';
import { asActivity } from './to-activity-failure';

/** Dependencies of the panel activities. */
export interface PanelActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** Panel clients per server. */
  panels: PanelResolver;
  /** Secret (>= 16 characters) from which client identities derive; never logged. */
  clientIdSalt: string;
  /** Public base URL of the api, no trailing slash: subscription URLs are `<this>/sub/<token>`. */
  publicBaseUrl: string;
  /**
   * The operator alert channel (activities/alert-activities.ts): told when provisioning finds a
   * server down, unconfigured or refusing our credentials (once per server and hour). Absent in
   * tests that do not look at alerts; the fault is still logged.
   */
  alertOperators?: AlertActivities['alertOperators'] | undefined;
}

const ACTOR: Actor = { type: 'system', component: 'activity:panel' };

/**
 * Activities that manage subscriptions' clients on 3X-UI panels. Each converts AppErrors (panel
 * errors included) into ApplicationFailures typed by code (`toActivityFailure`) and heartbeats
 * between panel calls when running inside an activity; every panel HTTP exchange is bounded by the
 * resolver's timeout, so no activity hangs on a panel.
 */
export function createPanelActivities(deps: PanelActivityDeps): PanelActivities {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:panel' });
  const targets = createPanelTargets(deps);
  const { targetOf, applyClient, provisioned } = targets;
  const provision = createProvisionClient(deps, targets);

  return {
    /**
     * Gives an active subscription a live panel client and returns the server it lives on.
     * Without `move`: keeps the server its recorded client lives on, else claims a slot on a server
     * that can take it (active, below capacity, up, panel configured; the server it lived on when
     * it still qualifies). The client is made to exist on that server's inbound (expiry = end_date,
     * limitIp = plan devices, totalGB = plan traffic_limit, enabled), and identity, share link(s)
     * for the server's public host and QR code are recorded (skipped when already recorded as is).
     * With `move` (while it still lives on `move.fromServerId`): two phases. A slot on another
     * server (`toServerId` when given and possible) is reserved, the client is made live there,
     * and only then does one transaction switch the row to it and give the old slot back; the old
     * client stays for the caller (the workflow) to delete. A crash at any step leaves the row
     * naming a server whose client is live.
     * When a server claimed or reserved for this call is down, unconfigured or refuses our
     * credentials, its slot is given back, it is marked down (skipped until the health probe sees
     * it answer), operators are alerted (once per server and hour), and the call fails retryably
     * (PANEL_UNAVAILABLE), so the retry lands on a healthy server.
     *
     * @idempotency subscriptionId (+move.fromServerId: once moved, the move is a no-op): slot claims
     *   and move reservations are per subscription and the client's email/uuid derive from the
     *   subscription id, so a retry, or a crash between any two steps, ends with one client
     * @throws ApplicationFailure typed SUBSCRIPTION_STATE_INVALID (not active or no period),
     *   SERVER_FULL (retryable), NOT_FOUND, PANEL_UNAVAILABLE (retryable; also for a server fault on
     *   a server claimed for this call), PANEL_REJECTED, and PANEL_* as the panel client for a
     *   subscription whose client already lives on the failing server
     */
    async provisionClient(input: ProvisionClientInput): Promise<ProvisionClientResult> {
      return asActivity(() => provision(input));
    },

    /**
     * Disables the subscription's client on its server (the key stops working, the client stays).
     *
     * @idempotency subscriptionId: disabling a disabled or absent client changes nothing
     * @throws ApplicationFailure typed NOT_FOUND, PANEL_* as the panel client
     */
    async disableClient(input: { subscriptionId: number }): Promise<DisableClientResult> {
      return asActivity(async () => {
        const row = await targets.loadSubscription(input.subscriptionId);
        if (row.server_id === null) return { found: false, changed: false };
        const target = await targetOf(row.id, row, row.server_id);
        const existing = await target.panel.findClient(target.inboundId, target.identity.email);
        if (existing === null) return { found: false, changed: false };
        if (!existing.enable) return { found: true, changed: false };
        await target.panel.updateClient(target.inboundId, { ...existing, enable: false });
        log.info({ subscriptionId: row.id, serverId: row.server_id }, 'panel client disabled');
        return { found: true, changed: true };
      });
    },

    /**
     * Enables the subscription's client on the server it lives on, with a new expiry (re-creating
     * it with the same identity, so the same key, when the panel lost it). Does not claim a server
     * slot: after the slot was released, call provisionClient, which also re-enables.
     *
     * @param input.expiresAt the new expiry (ISO 8601 string or Date)
     * @idempotency subscriptionId+expiresAt
     * @throws ApplicationFailure typed SUBSCRIPTION_STATE_INVALID (never provisioned), NOT_FOUND,
     *   PANEL_* as the panel client
     */
    async enableClient(input: { subscriptionId: number; expiresAt: string | Date }): Promise<ClientChangeResult> {
      return asActivity(async () => {
        const expiryTime = toEpochMs(input.expiresAt);
        const { row, target } = await provisioned(input.subscriptionId);
        const { action } = await applyClient(row, target, { enable: true, expiryTime });
        log.info({ subscriptionId: row.id, serverId: target.server.id, action }, 'panel client enabled');
        return { serverId: target.server.id, action };
      });
    },

    /**
     * Moves the expiry of the subscription's client (and re-applies the plan's limits), keeping
     * its enabled state; re-creates it, enabled, when the panel lost it.
     *
     * @param input.expiresAt the new expiry (ISO 8601 string or Date)
     * @idempotency subscriptionId+expiresAt
     * @throws ApplicationFailure typed SUBSCRIPTION_STATE_INVALID (never provisioned), NOT_FOUND,
     *   PANEL_* as the panel client
     */
    async extendClient(input: { subscriptionId: number; expiresAt: string | Date }): Promise<ClientChangeResult> {
      return asActivity(async () => {
        const expiryTime = toEpochMs(input.expiresAt);
        const { row, target } = await provisioned(input.subscriptionId);
        const existing = await target.panel.findClient(target.inboundId, target.identity.email);
        const { action } = await applyClient(row, target, { enable: existing?.enable ?? true, expiryTime });
        log.info({ subscriptionId: row.id, serverId: target.server.id, action }, 'panel client extended');
        return { serverId: target.server.id, action };
      });
    },

    /**
     * Deletes the subscription's client from a server's panel (after a move, or at the end of a
     * grace period). Works for a deleted subscription too (the identity derives from its id).
     * With `reason: 'moved'` (the old client after a two-phase move) it never waits behind a dead
     * panel and never removes a client the subscription lives on: when the row names this server
     * (as its server or its move target) nothing is deleted (`kept`); when the server is marked
     * down or does not answer, unconfigured or refusing our credentials, nothing is deleted either
     * (`deferred`: the panel reconciler deletes the leftover once the panel answers).
     *
     * @idempotency subscriptionId+serverId: an absent client counts as deleted
     * @throws ApplicationFailure typed NOT_FOUND (unknown server), PANEL_* as the panel client
     *   (with `reason: 'moved'`, PANEL_REJECTED only)
     */
    async deleteClient(input: { subscriptionId: number; serverId: number; reason?: 'moved' }): Promise<DeleteClientResult> {
      return asActivity(async () => {
        const row = await getSubscription(db, input.subscriptionId);
        const afterMove = input.reason === 'moved';
        if (afterMove && row !== null && (row.server_id === input.serverId || row.move_target_server_id === input.serverId)) {
          log.warn(
            { subscriptionId: input.subscriptionId, serverId: input.serverId },
            'client kept: the subscription lives on that server',
          );
          return { deleted: false, disabledInstead: false, kept: true };
        }
        if (afterMove && (await getServer(db, input.serverId))?.status === 'down') {
          log.info({ subscriptionId: input.subscriptionId, serverId: input.serverId }, 'old client left to the reconciler: server down');
          return { deleted: false, disabledInstead: false, deferred: true };
        }
        try {
          const target = await targetOf(input.subscriptionId, row, input.serverId);
          const result = await deleteOrDisableClient(target.panel, target.inboundId, target.identity.email);
          if (result.disabledInstead)
            log.warn(
              { subscriptionId: input.subscriptionId, serverId: input.serverId },
              'last client of a v2 inbound disabled instead of deleted',
            );
          else
            log.info({ subscriptionId: input.subscriptionId, serverId: input.serverId, deleted: result.deleted }, 'panel client deleted');
          return result;
        } catch (error) {
          if (!afterMove || !isServerFault(error)) throw error;
          log.info(
            { subscriptionId: input.subscriptionId, serverId: input.serverId, code: error.code },
            'old client left to the reconciler: panel unusable',
          );
          return { deleted: false, disabledInstead: false, deferred: true };
        }
      });
    },

    /**
     * Reads the traffic counters of every subscription with a client on the server (one inbound
     * listing) and stores upload and download bytes apart (traffic_up, traffic_down) and their sum
     * as traffic_used.
     *
     * @idempotency serverId: storing the panel's current counters again changes nothing
     * @throws ApplicationFailure typed NOT_FOUND, PANEL_* as the panel client
     */
    async syncTraffic(input: { serverId: number }): Promise<SyncTrafficResult> {
      return asActivity(async () => {
        const rows = await listServerClientSubscriptions(db, { serverId: input.serverId });
        if (rows.length === 0) return { subscriptions: 0, updated: 0, missing: 0 };
        const { client } = await deps.panels.getPanel(input.serverId);
        const inbounds = await heartbeating(client).listInbounds();
        const bytesByEmail = new Map<string, { up: number; down: number }>();
        for (const inbound of inbounds) {
          for (const stat of inbound.clientStats)
            if (!bytesByEmail.has(stat.email)) bytesByEmail.set(stat.email, { up: stat.up, down: stat.down });
        }
        const entries = rows.flatMap((row) => {
          const bytes = row.xui_email === null ? undefined : bytesByEmail.get(row.xui_email);
          return bytes === undefined ? [] : [{ subscriptionId: row.id, ...bytes }];
        });
        const updated = await updateTrafficUsed(db, { entries });
        log.debug({ serverId: input.serverId, subscriptions: rows.length, updated }, 'traffic synced');
        return { subscriptions: rows.length, updated, missing: rows.length - entries.length };
      });
    },

    /**
     * Health check of a server's panel: logs in when needed, lists the inbounds, checks the
     * server's inbound exists, and records the verdict (up, or down with the error code and a
     * secret-free reason) on the server row. A panel failure is a verdict, not an activity failure.
     *
     * @idempotency serverId: each call records the current verdict; only transitions are audited
     * @throws ApplicationFailure typed NOT_FOUND (unknown server); database errors as they are
     */
    async probePanel(input: { serverId: number }): Promise<ProbePanelResult> {
      return asActivity(async () => {
        try {
          const { server, client } = await deps.panels.getPanel(input.serverId);
          const probe = await client.probe();
          heartbeatIfActivity();
          if (server.xui_inbound_id !== null) await client.getInbound(server.xui_inbound_id);
          await recordServerHealth(db, { serverId: input.serverId, up: true, actor: ACTOR });
          return { up: true, latencyMs: probe.latencyMs, apiVersion: probe.apiVersion, error: null };
        } catch (error) {
          const verdict = isPanelError(error) || (error instanceof AppError && error.code === ErrorCode.SECRET_DECRYPT_FAILED);
          if (!verdict) throw error;
          await recordServerHealth(db, { serverId: input.serverId, up: false, error: `${error.code}: ${error.message}`, actor: ACTOR });
          log.warn({ serverId: input.serverId, code: error.code }, 'panel probe failed');
          return { up: false, latencyMs: null, apiVersion: null, error: error.code };
        }
      });
    },
  };
}

/** The panel activities' interface. */
export type { PanelActivities } from './contracts/panel-activities';

export type * from './contracts/panel-activity-results';
