/**
 * `provisionClient`: gives an active subscription a live panel client, placing it on a server
 * that can take it, or moving it to another server in two phases.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import { SubscriptionStateError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Actor } from '../sql/repositories/audit-repository';
import { completeMove, releaseMoveTarget, reserveMoveTarget } from '../sql/repositories/server-moves-repository';
import { claimServerSlot, releaseServerSlot } from '../sql/repositories/server-slots-repository';
import { setSubscriptionClient } from '../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import { heartbeatIfActivity } from './activity-context';
import type { ProvisionClientResult } from './contracts/panel-activity-results';
import { createServerFaults, isServerFault, type ServerFaultDeps } from './panel-server-faults';
import type { PanelTargets } from './panel-targets';
import type { ProvisionClientInput } from './contracts/panel-activities';

export type { ProvisionClientInput } from './contracts/panel-activities';

/** Dependencies of {@link createProvisionClient}. */
export interface ProvisionClientDeps extends ServerFaultDeps {
  db: DatabasePool;
  logger: Logger;
}

const ACTOR: Actor = { type: 'system', component: 'activity:panel' };

/**
 * True when the row records a client made on the server it holds its slot on: server_id, slot,
 * inbound and key are all set (claimServerSlot clears the inbound when it moves server_id, and
 * completeMove sets all of them together), so the user's key points at that server.
 */
function livesOnItsServer(row: SubscriptionRow): boolean {
  return row.server_slot_held && row.server_id !== null && row.xui_inbound_id !== null && row.vpn_key !== null;
}

/** Builds `provisionClient` (see panel-activities.ts for its contract). */
export function createProvisionClient(deps: ProvisionClientDeps, targets: PanelTargets) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:panel' });
  const faults = createServerFaults(deps, ACTOR);

  /**
   * A subscription without a move: keeps the server its client lives on, else claims a slot on an
   * eligible server (preferring the one it lived on). A server fault on a server claimed for this
   * provisioning gives the slot back, marks the server down and fails retryably, so the next
   * attempt lands elsewhere; a server whose client the user already has keeps the subscription
   * (its VPN may well work while its panel does not: failover decides), marked down all the same.
   */
  async function place(initial: SubscriptionRow, endDate: Date): Promise<ProvisionClientResult> {
    let row = initial;
    // The workflow runs one piece of work at a time: a move target still reserved here is left
    // over from a move that will not go on. Give its slot back.
    if (row.move_target_server_id !== null) {
      await releaseMoveTarget(db, { subscriptionId: row.id, actor: ACTOR });
      row = await targets.loadSubscription(row.id);
    }
    const live = livesOnItsServer(row);
    const serverId =
      live && row.server_id !== null
        ? row.server_id
        : (await claimServerSlot(db, { subscriptionId: row.id, preferServerId: row.server_id, requirePanel: true, actor: ACTOR })).server
            .id;
    if (!live) row = await targets.loadSubscription(row.id);
    heartbeatIfActivity();

    let target;
    let applied;
    try {
      target = await targets.targetOf(row.id, row, serverId);
      applied = await targets.applyClient(row, target, { enable: true, expiryTime: endDate.getTime() });
    } catch (error) {
      if (!isServerFault(error)) throw error;
      if (live) {
        await faults.record({ serverId, subscriptionId: row.id, error, what: 'provisioning' });
        throw error;
      }
      // Marked down first, so no other order claims the slot given back here.
      const failure = await faults.record({ serverId, subscriptionId: row.id, error, what: 'provisioning' });
      await releaseServerSlot(db, { subscriptionId: row.id, actor: ACTOR });
      throw failure;
    }
    const { desired, action } = applied;
    const key = await targets.keyOf(target, applied);
    const alreadyRecorded =
      row.xui_client_uuid === desired.id &&
      row.xui_email === desired.email &&
      row.xui_sub_id === desired.subId &&
      row.xui_inbound_id === target.inboundId &&
      row.vpn_key === key.vpnKey &&
      row.qr_code !== null;
    if (!alreadyRecorded) {
      await setSubscriptionClient(db, {
        subscriptionId: row.id,
        xuiClientUuid: desired.id,
        xuiEmail: desired.email,
        xuiSubId: desired.subId,
        xuiInboundId: target.inboundId,
        vpnKey: key.vpnKey,
        qrCode: await key.render(),
        actor: ACTOR,
      });
    }
    log.info({ subscriptionId: row.id, serverId, action, recordedNow: !alreadyRecorded }, 'panel client provisioned');
    return { serverId, action };
  }

  /**
   * A two-phase move off `fromServerId`: reserve a slot on another eligible server, make the client
   * live there, then switch the row to it (old slot given back) in one transaction. Until the
   * switch the row names the old server, whose client keeps working; the workflow deletes the old
   * client after. A failure before the switch abandons the reservation (and, for a server fault,
   * marks the target down) so the retry picks another target.
   */
  async function move(
    row: SubscriptionRow,
    endDate: Date,
    request: { fromServerId: number; toServerId?: number },
  ): Promise<ProvisionClientResult> {
    const { server } = await reserveMoveTarget(db, {
      subscriptionId: row.id,
      fromServerId: request.fromServerId,
      preferServerId: request.toServerId ?? null,
      requirePanel: true,
      actor: ACTOR,
    });
    heartbeatIfActivity();
    let target;
    let applied;
    try {
      target = await targets.targetOf(row.id, row, server.id);
      applied = await targets.applyClient(row, target, { enable: true, expiryTime: endDate.getTime() });
    } catch (error) {
      const failure = isServerFault(error)
        ? await faults.record({ serverId: server.id, serverName: server.name, subscriptionId: row.id, error, what: 'move' })
        : error;
      await releaseMoveTarget(db, { subscriptionId: row.id, actor: ACTOR });
      throw failure;
    }
    const key = await targets.keyOf(target, applied);
    await completeMove(db, {
      subscriptionId: row.id,
      toServerId: server.id,
      client: {
        xuiClientUuid: applied.desired.id,
        xuiEmail: applied.desired.email,
        xuiSubId: applied.desired.subId,
        xuiInboundId: target.inboundId,
        vpnKey: key.vpnKey,
        qrCode: await key.render(),
      },
      actor: ACTOR,
    });
    log.info(
      { subscriptionId: row.id, fromServerId: request.fromServerId, serverId: server.id, action: applied.action },
      'panel client moved',
    );
    return { serverId: server.id, action: applied.action };
  }

  return async function provisionClient(input: ProvisionClientInput): Promise<ProvisionClientResult> {
    const row = await targets.loadSubscription(input.subscriptionId);
    if (row.status !== 'active' || row.end_date === null) {
      throw new SubscriptionStateError(`subscription ${row.id} is ${row.status}; only an active subscription with a period is provisioned`);
    }
    if (input.move !== undefined && row.server_id === input.move.fromServerId) return move(row, row.end_date, input.move);
    return place(row, row.end_date);
  };
}
