/**
 * Shared pieces of the panel activities: a subscription's row, where its client lives (server,
 * panel client, inbound, identity) and "make the client look like this".
 */
import type { CommonQueryMethods } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import { RecordNotFoundError, SubscriptionStateError } from '../lib/errors';
import type { ClientIdentity } from '../lib/xui/derive-client-identity';
import { ensureClient } from '../lib/xui/ensure-client';
import type { PanelClient } from '../lib/xui/panel-client';
import { PanelNotConfiguredError, PanelRejectedError } from '../lib/xui/panel-errors';
import { serverPublicHost, type PanelResolver } from '../usecases/panel-for-server';
import { renderQrBase64 } from '../lib/xui/render-qr';
import { buildVlessLink } from '../lib/xui/vless-link';
import { getPlan } from '../sql/repositories/plans-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { heartbeating } from './activity-context';
import { desiredClient, identityOf, limitsOf } from './panel-client-spec';

/** Where a subscription's client lives (or is being made). */
export interface ClientTarget {
  server: VpnServerRow;
  panel: PanelClient;
  inboundId: number;
  identity: ClientIdentity;
}

/** Dependencies of {@link createPanelTargets}. */
export interface PanelTargetDeps {
  db: DatabasePool;
  panels: PanelResolver;
  /** Secret (>= 16 characters) from which client identities derive; never logged. */
  clientIdSalt: string;
}

/** Builds the shared helpers over one set of dependencies. */
export function createPanelTargets(deps: PanelTargetDeps) {
  const { db } = deps;

  /** @throws RecordNotFoundError (NOT_FOUND) */
  async function loadSubscription(subscriptionId: number): Promise<SubscriptionRow> {
    const row = await getSubscription(db, subscriptionId);
    if (row === null) throw new RecordNotFoundError('subscription');
    return row;
  }

  /**
   * The client's place on a server: the row's recorded inbound when it lives there, else the
   * server's configured inbound. The panel client heartbeats before each call.
   * @throws RecordNotFoundError, PanelNotConfiguredError (no inbound), the resolver's errors
   */
  async function targetOf(subscriptionId: number, row: SubscriptionRow | null, serverId: number): Promise<ClientTarget> {
    const { server, client } = await deps.panels.getPanel(serverId);
    const inboundId = (row?.server_id === serverId ? row.xui_inbound_id : null) ?? server.xui_inbound_id;
    if (inboundId === null) throw new PanelNotConfiguredError(`server ${serverId} has no inbound id`);
    return { server, panel: heartbeating(client), inboundId, identity: identityOf(subscriptionId, row, deps.clientIdSalt) };
  }

  /**
   * Makes the client match the plan and the given state, creating it when absent. The plan is read
   * through `connection` (default the pool; a caller holding a transaction passes it). The inbound's
   * settings come from the panel client's short-lived cache (without its clients), and the client
   * is looked up by email, so the cost does not grow with the number of clients on the panel.
   */
  async function applyClient(
    row: SubscriptionRow,
    target: ClientTarget,
    state: { enable: boolean; expiryTime: number },
    connection: CommonQueryMethods = db,
  ) {
    const inbound = await target.panel.inboundShape(target.inboundId);
    const plan = row.plan_id === null ? null : await getPlan(connection, row.plan_id);
    const desired = desiredClient(target.identity, inbound, limitsOf(plan), state);
    const result = await ensureClient(target.panel, target.inboundId, desired);
    return { inbound, desired, action: result.action };
  }

  /** The share link(s) of a client on the target's server, joined by newlines, and its QR code (PNG, base64). */
  async function keyOf(
    target: ClientTarget,
    applied: Awaited<ReturnType<typeof applyClient>>,
  ): Promise<{ vpnKey: string; render: () => Promise<string> }> {
    const links = buildVlessLink({
      inbound: applied.inbound,
      client: applied.desired,
      host: serverPublicHost(target.server),
      remark: target.server.name,
    });
    const vpnKey = links.join('\n');
    return { vpnKey, render: () => renderQrBase64(links[0] ?? vpnKey) };
  }

  /** @throws SubscriptionStateError when never provisioned */
  async function provisioned(subscriptionId: number): Promise<{ row: SubscriptionRow; target: ClientTarget }> {
    const row = await loadSubscription(subscriptionId);
    if (row.server_id === null) throw new SubscriptionStateError(`subscription ${subscriptionId} has no server; provision it first`);
    return { row, target: await targetOf(subscriptionId, row, row.server_id) };
  }

  return { loadSubscription, targetOf, applyClient, keyOf, provisioned };
}

/** The shared helpers. */
export type PanelTargets = ReturnType<typeof createPanelTargets>;

/**
 * Deletes a client from an inbound. A v2 panel refuses to delete an inbound's last client ("no
 * client remained"): that client is disabled instead.
 *
 * @idempotency inboundId+email: an absent client counts as deleted
 * @throws the panel client's errors
 */
export async function deleteOrDisableClient(
  panel: PanelClient,
  inboundId: number,
  email: string,
): Promise<{ deleted: boolean; disabledInstead: boolean }> {
  try {
    const { deleted } = await panel.deleteClient(inboundId, email);
    return { deleted, disabledInstead: false };
  } catch (error) {
    if (!(error instanceof PanelRejectedError) || !/no client remained/i.test(error.panelMessage)) throw error;
    const existing = await panel.findClient(inboundId, email);
    if (existing?.enable) await panel.updateClient(inboundId, { ...existing, enable: false });
    return { deleted: false, disabledInstead: true };
  }
}
