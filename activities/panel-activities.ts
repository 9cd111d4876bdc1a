import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode, RecordNotFoundError, ServerFullError, SubscriptionStateError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { ClientIdentity } from '../lib/xui/derive-client-identity';
import { ensureClient } from '../lib/xui/ensure-client';
import type { PanelClient } from '../lib/xui/panel-client';
import { PanelNotConfiguredError, PanelRejectedError, isPanelError } from '../lib/xui/panel-errors';
import { serverPublicHost, type PanelResolver } from '../lib/xui/panel-for-server';
import { renderQrBase64 } from '../lib/xui/render-qr';
import { buildVlessLink } from '../lib/xui/vless-link';
import type { Actor } from '../sql/repositories/audit-repository';
import { getPlan } from '../sql/repositories/plans-repository';
import { claimServerSlot, releaseServerSlot } from '../sql/repositories/server-slots-repository';
import { recordServerHealth } from '../sql/repositories/servers-repository';
import {
  getSubscription,
  listServerClientSubscriptions,
  setSubscriptionClient,
  updateTrafficUsed,
} from '../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { heartbeatIfActivity, heartbeating } from './activity-context';
import { desiredClient, identityOf, limitsOf, toEpochMs, type ClientLimits } from './panel-client-spec';
import type {
  ClientChangeResult,
  DeleteClientResult,
  DisableClientResult,
  ProbePanelResult,
  ProvisionClientResult,
  SyncTrafficResult,
} from './panel-activity-results';
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
}

const ACTOR: Actor = { type: 'system', component: 'activity:panel' };

/** Where a subscription's client lives. */
interface ClientTarget {
  server: VpnServerRow;
  panel: PanelClient;
  inboundId: number;
  identity: ClientIdentity;
}

/**
 * Activities that manage subscriptions' clients on 3X-UI panels. Each converts AppErrors (panel
 * errors included) into ApplicationFailures typed by code (`toActivityFailure`) and heartbeats
 * between panel calls when running inside an activity.
 */
export function createPanelActivities(deps: PanelActivityDeps) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:panel' });

  async function loadSubscription(subscriptionId: number): Promise<SubscriptionRow> {
    const row = await getSubscription(db, subscriptionId);
    if (row === null) throw new RecordNotFoundError('subscription');
    return row;
  }

  async function planLimits(row: SubscriptionRow): Promise<ClientLimits> {
    return limitsOf(row.plan_id === null ? null : await getPlan(db, row.plan_id));
  }

  async function targetOf(subscriptionId: number, row: SubscriptionRow | null, serverId: number): Promise<ClientTarget> {
    const { server, client } = await deps.panels.getPanel(serverId);
    const inboundId = (row?.server_id === serverId ? row.xui_inbound_id : null) ?? server.xui_inbound_id;
    if (inboundId === null) throw new PanelNotConfiguredError(`server ${serverId} has no inbound id`);
    return { server, panel: heartbeating(client), inboundId, identity: identityOf(subscriptionId, row, deps.clientIdSalt) };
  }

  /** Makes the client match the plan and the given state, creating it when absent. */
  async function applyClient(row: SubscriptionRow, target: ClientTarget, state: { enable: boolean; expiryTime: number }) {
    const inbound = await target.panel.getInbound(target.inboundId);
    const desired = desiredClient(target.identity, inbound, await planLimits(row), state);
    const result = await ensureClient(target.panel, target.inboundId, desired);
    return { inbound, desired, action: result.action };
  }

  async function provisioned(subscriptionId: number): Promise<{ row: SubscriptionRow; target: ClientTarget }> {
    const row = await loadSubscription(subscriptionId);
    if (row.server_id === null) throw new SubscriptionStateError(`subscription ${subscriptionId} has no server; provision it first`);
    return { row, target: await targetOf(subscriptionId, row, row.server_id) };
  }

  return {
    /**
     * Gives an active subscription its panel client: claims a server slot when it holds none
     * (preferring the server it lived on; with `move`, gives up the slot on `fromServerId` and
     * claims one elsewhere, on `toServerId` when given and possible), makes the client exist on that server's inbound
     * (expiry = end_date, limitIp = plan devices, totalGB = plan traffic_limit, enabled), builds
     * the share link(s) for the server's public host and the QR code, and records identity, key
     * and QR on the subscription (skipped when already recorded as is).
     *
     * @idempotency subscriptionId (+move.fromServerId: once moved, the move is a no-op): the slot claim is per subscription and the client's email/uuid
     *   derive from the subscription id, so a retry, or a crash between the panel call and the
     *   database write, ends with exactly one client
     * @throws ApplicationFailure typed SUBSCRIPTION_STATE_INVALID (not active or no period),
     *   SERVER_FULL (retryable), NOT_FOUND, PANEL_* as the panel client, PANEL_NOT_CONFIGURED
     */
    async provisionClient(input: { subscriptionId: number; move?: { fromServerId: number; toServerId?: number } }): Promise<ProvisionClientResult> {
      return asActivity(async () => {
        let row = await loadSubscription(input.subscriptionId);
        if (row.status !== 'active' || row.end_date === null) {
          throw new SubscriptionStateError(`subscription ${row.id} is ${row.status}; only an active subscription with a period is provisioned`);
        }
        const endDate = row.end_date;
        let prefer = row.server_id;
        if (input.move !== undefined) {
          if (row.server_id === input.move.fromServerId && row.server_slot_held) {
            // The old client stays until its panel answers again; the reconciler deletes it then.
            await releaseServerSlot(db, { subscriptionId: row.id, actor: ACTOR });
            row = await loadSubscription(input.subscriptionId);
          }
          prefer = input.move.toServerId ?? null;
        }
        const { server } = await claimServerSlot(db, { subscriptionId: row.id, preferServerId: prefer, actor: ACTOR });
        if (input.move !== undefined && server.id === input.move.fromServerId && row.server_id === input.move.fromServerId) {
          await releaseServerSlot(db, { subscriptionId: row.id, actor: ACTOR });
          throw new ServerFullError();
        }
        heartbeatIfActivity();
        const target = await targetOf(row.id, row, server.id);
        const { inbound, desired, action } = await applyClient(row, target, { enable: true, expiryTime: endDate.getTime() });
        const links = buildVlessLink({ inbound, client: desired, host: serverPublicHost(target.server), remark: target.server.name });
        const vpnKey = links.join('\n');
        const alreadyRecorded =
          row.xui_client_uuid === desired.id &&
          row.xui_email === desired.email &&
          row.xui_sub_id === desired.subId &&
          row.xui_inbound_id === target.inboundId &&
          row.vpn_key === vpnKey &&
          row.qr_code !== null;
        if (!alreadyRecorded) {
          await setSubscriptionClient(db, {
            subscriptionId: row.id,
            xuiClientUuid: desired.id,
            xuiEmail: desired.email,
            xuiSubId: desired.subId,
            xuiInboundId: target.inboundId,
            vpnKey,
            qrCode: await renderQrBase64(links[0] ?? vpnKey),
            actor: ACTOR,
          });
        }
        log.info({ subscriptionId: row.id, serverId: server.id, action, recordedNow: !alreadyRecorded }, 'panel client provisioned');
        return { serverId: server.id, action };
      });
    },

    /**
     * Disables the subscription's client on its server (the key stops working, the client stays).
     *
     * @idempotency subscriptionId: disabling a disabled or absent client changes nothing
     * @throws ApplicationFailure typed NOT_FOUND, PANEL_* as the panel client
     */
    async disableClient(input: { subscriptionId: number }): Promise<DisableClientResult> {
      return asActivity(async () => {
        const row = await loadSubscription(input.subscriptionId);
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
     * grace period). The subscription row is not changed. Works for a deleted subscription too
     * (the identity derives from its id).
     *
     * @idempotency subscriptionId+serverId: an absent client counts as deleted
     * @throws ApplicationFailure typed NOT_FOUND (unknown server), PANEL_* as the panel client
     */
    async deleteClient(input: { subscriptionId: number; serverId: number }): Promise<DeleteClientResult> {
      return asActivity(async () => {
        const row = await getSubscription(db, input.subscriptionId);
        const target = await targetOf(input.subscriptionId, row, input.serverId);
        try {
          const { deleted } = await target.panel.deleteClient(target.inboundId, target.identity.email);
          log.info({ subscriptionId: input.subscriptionId, serverId: input.serverId, deleted }, 'panel client deleted');
          return { deleted, disabledInstead: false };
        } catch (error) {
          if (!(error instanceof PanelRejectedError) || !/no client remained/i.test(error.panelMessage)) throw error;
          const existing = await target.panel.findClient(target.inboundId, target.identity.email);
          if (existing?.enable) await target.panel.updateClient(target.inboundId, { ...existing, enable: false });
          log.warn({ subscriptionId: input.subscriptionId, serverId: input.serverId }, 'last client of a v2 inbound disabled instead of deleted');
          return { deleted: false, disabledInstead: true };
        }
      });
    },

    /**
     * Reads the traffic counters of every subscription with a client on the server (one inbound
     * listing) and stores up + down bytes as traffic_used.
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
        const bytesByEmail = new Map<string, number>();
        for (const inbound of inbounds) {
          for (const stat of inbound.clientStats) if (!bytesByEmail.has(stat.email)) bytesByEmail.set(stat.email, stat.up + stat.down);
        }
        const entries = rows.flatMap((row) => {
          const bytes = row.xui_email === null ? undefined : bytesByEmail.get(row.xui_email);
          return bytes === undefined ? [] : [{ subscriptionId: row.id, trafficUsed: bytes }];
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
export type PanelActivities = ReturnType<typeof createPanelActivities>;

export type * from './panel-activity-results';
