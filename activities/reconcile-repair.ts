/**
 * The repairs of the panel reconciler (reconcile-activities.ts), one finding at a time.
 */
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import { RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { PanelClient } from '../lib/xui/panel-client';
import { PanelNotConfiguredError } from '../lib/xui/panel-errors';
import type { PanelResolver } from '../usecases/panel-for-server';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import { findOtherSubscriptionOwningClient } from '../sql/repositories/fleet-repository';
import { getSubscription, lockSubscription } from '../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { createSubscriptionWorkflowClient } from '../clients/subscription-workflow-client';
import type { AlertActivities } from './contracts/alert-activities';
import { diffPanelClients, type DbClientRow, type PanelClientEntry, type PanelFinding } from './diff-panel-clients';
import { identityOf } from './panel-client-spec';
import { createPanelTargets, deleteOrDisableClient } from './panel-targets';

/** Dependencies of {@link createReconcileRepair}. */
export interface ReconcileRepairDeps {
  db: DatabasePool;
  logger: Logger;
  panels: PanelResolver;
  /** Secret from which client identities derive (never logged). */
  clientIdSalt: string;
  /**
   * Temporal client for the `ensureClient` signal: a lost client of a subscription whose workflow
   * runs is re-created by that workflow, never beside it. Without one (scripts, some tests) or
   * without a running workflow, the reconciler re-creates it itself under the row lock.
   */
  temporal?: Client | undefined;
  /** The operator alert channel: told what a run repaired (once per server and hour). */
  alertOperators?: AlertActivities['alertOperators'] | undefined;
  /** How long a repair waits for the subscription's row lock, in milliseconds; default 5000. */
  lockTimeoutMs?: number | undefined;
  /**
   * Most destructive repairs (deletes, disables) one run makes on one server
   * (RECONCILE_MAX_DESTRUCTIVE_PER_RUN); default DEFAULT_MAX_DESTRUCTIVE_REPAIRS (20).
   */
  maxDestructivePerRun?: number | undefined;
}

/** The panel as the reconciler read it: the inbounds it manages and every client. */
export interface ReconcileSnapshot {
  inboundIds: number[];
  clients: PanelClientEntry[];
  /** True when the panel refuses to delete an inbound's last client (v2). */
  keepsLastClient?: boolean;
}

const ACTOR: Actor = { type: 'system', component: 'reconciler' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AUDIT_ACTION = { recreate: 'panel_client.recreated', delete: 'panel_client.deleted', update: 'panel_client.updated' } as const;

/** A finding about one subscription's client. */
type OwnFinding = Extract<PanelFinding, { subscriptionId: number }>;

/**
 * The reconciler's repairs, each writing one audit row, and its report to the operators.
 *
 * Why repairs cannot race the subscription's own workflow. The workflow always changes the
 * subscription row first and the panel second (claim, then create; move target reserved, then the
 * new client made; switch, then the old client removed; cancelled/expired, then disabled/deleted;
 * new end_date, then the expiry on the panel). Each repair here (1) takes that row's lock
 * (SELECT ... FOR UPDATE, the lock every one of those row changes needs), (2) judges the finding
 * again against the row as it is now, (3) acts on the panel, and (4) writes its audit row and
 * commits. So the repair happens wholly before the workflow's next row change (which then
 * overrides it on the panel in its second step) or wholly after (and was judged against it).
 * A lost client of a subscription whose workflow runs is not re-created here at all: the workflow
 * gets the `ensureClient` signal and re-creates it in its own one-at-a-time loop.
 */
export function createReconcileRepair(deps: ReconcileRepairDeps) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:reconciler' });
  const lockTimeoutMs = deps.lockTimeoutMs ?? 5_000;
  const targets = createPanelTargets(deps);
  /** Asks a subscription's workflow to re-create its client (false when no workflow runs). */
  const workflows = deps.temporal === undefined ? undefined : createSubscriptionWorkflowClient(deps.temporal);

  function toDbRow(row: SubscriptionRow): DbClientRow {
    const identity = identityOf(row.id, row, deps.clientIdSalt);
    return {
      subscriptionId: row.id,
      status: row.status,
      serverId: row.server_id,
      slotHeld: row.server_slot_held,
      moveTargetServerId: row.move_target_server_id,
      endsAtMs: row.end_date?.getTime() ?? null,
      email: identity.email,
      uuid: identity.uuid,
    };
  }

  /** The finding judged again against a fresh row, or undefined when it no longer holds. */
  function judgeAgain(serverId: number, finding: OwnFinding, fresh: SubscriptionRow, snapshot: ReconcileSnapshot): OwnFinding | undefined {
    const clients = snapshot.clients.filter((client) => client.email === finding.email);
    const inboundSizes = new Map<number, number>();
    for (const client of snapshot.clients) inboundSizes.set(client.inboundId, (inboundSizes.get(client.inboundId) ?? 0) + 1);
    const again = diffPanelClients(
      { serverId, rows: [toDbRow(fresh)] },
      { inboundIds: snapshot.inboundIds, clients, inboundSizes, keepsLastClient: snapshot.keepsLastClient },
      new Date(),
    );
    return again.find((candidate): candidate is OwnFinding => candidate.kind === finding.kind && candidate.fix === finding.fix);
  }

  /** Applies one repair (see the factory's comment for why it cannot race the workflow). */
  async function repair(
    server: VpnServerRow,
    found: PanelFinding,
    panel: PanelClient,
    snapshot: ReconcileSnapshot,
  ): Promise<'fixed' | 'signalled' | 'stale' | 'owned-elsewhere'> {
    const serverId = server.id;
    if (found.fix === null || !('subscriptionId' in found)) return 'stale';
    const finding: OwnFinding = found;
    if (finding.kind === 'missing' && workflows !== undefined) {
      const fresh = await getSubscription(db, finding.subscriptionId);
      const current = fresh === null ? undefined : judgeAgain(serverId, finding, fresh, snapshot);
      if (fresh === null || current === undefined) return 'stale';
      if (await workflows.signalEnsureClient(current.subscriptionId, { reason: 'reconciler:missing-client' })) {
        await writeAuditLog(db, {
          actor: ACTOR,
          action: 'panel_client.ensure_requested',
          entityType: 'subscription',
          entityId: current.subscriptionId,
          userId: fresh.user_id,
          details: { server_id: serverId, finding: current },
        });
        return 'signalled';
      }
      // No workflow runs for it: nothing to race; repaired below under the row lock.
    }

    return db.transaction(async (tx) => {
      await tx.query(sql.unsafe`SELECT set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`);
      let fresh: SubscriptionRow;
      try {
        fresh = await lockSubscription(tx, finding.subscriptionId);
      } catch (error) {
        if (error instanceof RecordNotFoundError) return 'stale';
        throw error;
      }
      const current = judgeAgain(serverId, finding, fresh, snapshot);
      if (current === undefined) return 'stale';

      // Only the panel and this transaction from here: the pool may not be used inside it.
      if (current.fix === null) return 'stale';
      let action: string = AUDIT_ACTION[current.fix];
      switch (current.kind) {
        case 'missing': {
          const inboundId = fresh.xui_inbound_id ?? server.xui_inbound_id;
          if (inboundId === null) throw new PanelNotConfiguredError(`server ${serverId} has no inbound id`);
          const target = { server, panel, inboundId, identity: identityOf(fresh.id, fresh, deps.clientIdSalt) };
          await targets.applyClient(fresh, target, { enable: true, expiryTime: current.expectedExpiryMs }, tx);
          break;
        }
        case 'extra': {
          // Never delete a client another subscription records (its email or uuid): on a panel
          // shared by several rows, or after an import, that client is someone's paid key.
          const uuid = snapshot.clients.find((client) => client.email === current.email)?.uuid ?? null;
          const owner = await findOtherSubscriptionOwningClient(tx, {
            email: current.email,
            uuid: uuid !== null && UUID.test(uuid) ? uuid : null,
            exceptSubscriptionId: current.subscriptionId,
          });
          if (owner !== null) return 'owned-elsewhere';
          // A v2 panel's last client of an inbound cannot be deleted: it is left disabled, and
          // audited as such once (later runs report it as 'kept-last' and leave it alone).
          const { disabledInstead } = await deleteOrDisableClient(panel, current.inboundId, current.email);
          if (disabledInstead) action = 'panel_client.disabled_last';
          break;
        }
        case 'drift': {
          const existing = await panel.findClient(current.inboundId, current.email);
          if (existing === null) return 'stale';
          await panel.updateClient(current.inboundId, {
            ...existing,
            enable: current.enable?.expected ?? existing.enable,
            expiryTime: current.expiryTime?.expected ?? existing.expiryTime,
          });
          break;
        }
        default:
          return 'stale';
      }
      await writeAuditLog(tx, {
        actor: ACTOR,
        action,
        entityType: 'subscription',
        entityId: current.subscriptionId,
        userId: fresh.user_id,
        details: { server_id: serverId, finding: current },
      });
      return 'fixed';
    });
  }

  /** Tells the operators what a run changed, once per server and hour; never fails the run. */
  async function alertRepairs(serverId: number, fixed: PanelFinding[], signalled: PanelFinding[]): Promise<void> {
    if (deps.alertOperators === undefined || fixed.length + signalled.length === 0) return;
    const kinds = [...new Set(fixed.map((finding) => finding.kind))].join(', ');
    const summary =
      `Panel reconciler on server #${serverId}: ${fixed.length} repaired${kinds === '' ? '' : ` (${kinds})`}, ` +
      `${signalled.length} lost client(s) handed to their workflows. Details: audit_logs actor reconciler.`;
    try {
      await deps.alertOperators({
        kind: 'orphan_repaired',
        key: `reconcile:server-${serverId}:${new Date().toISOString().slice(0, 13)}`,
        summary,
        serverId,
      });
    } catch (error) {
      log.error({ serverId, err: error instanceof Error ? error.message : String(error) }, 'operator alert failed');
    }
  }

  /** Tells the operators that the per-run cap held destructive repairs back (once per server and hour). */
  async function alertHeldBack(serverId: number, heldBack: number, cap: number): Promise<void> {
    if (deps.alertOperators === undefined) return;
    const summary =
      `Panel reconciler on server #${serverId}: ${heldBack} destructive repair(s) (deletes/disables) held back: ` +
      `the run made its cap of ${cap}. Check the panel and the database before raising RECONCILE_MAX_DESTRUCTIVE_PER_RUN; ` +
      'the next runs continue at the same pace.';
    try {
      await deps.alertOperators({
        kind: 'reconcile_held_back',
        key: `reconcile-cap:server-${serverId}:${new Date().toISOString().slice(0, 13)}`,
        summary,
        serverId,
      });
    } catch (error) {
      log.error({ serverId, err: error instanceof Error ? error.message : String(error) }, 'operator alert failed');
    }
  }

  return { toDbRow, repair, alertRepairs, alertHeldBack };
}
