import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { PanelClient } from '../lib/xui/panel-client';
import { isPanelError, PanelNotConfiguredError } from '../lib/xui/panel-errors';
import type { PanelResolver } from '../lib/xui/panel-for-server';
import type { PanelInbound } from '../lib/xui/panel-schemas';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import { listSubscriptionsByIds, listSubscriptionsOnServer } from '../sql/repositories/fleet-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { getSubscription, lockSubscription } from '../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { SignalName, subscriptionWorkflowId } from '../workflows/contract';
import type { EnsureClientSignal } from '../workflows/subscription-messages';
import { heartbeatIfActivity, heartbeating } from './activity-context';
import type { AlertActivities } from './alert-activity-types';
import { diffPanelClients, OWN_CLIENT_EMAIL, type DbClientRow, type PanelClientEntry, type PanelFinding } from './diff-panel-clients';
import { identityOf } from './panel-client-spec';
import { createPanelTargets, deleteOrDisableClient } from './panel-targets';
import { asActivity } from './to-activity-failure';

/** Dependencies of the reconciler activity. */
export interface ReconcileActivityDeps {
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
}

/** A finding the reconciler could not or would not repair, with why. */
export type UnresolvedFinding = PanelFinding & { error?: string };

/** Result of `reconcilePanel`: what was repaired and what an operator should look at. */
export interface ReconcileReport {
  serverId: number;
  /** False when the panel could not be read (nothing was compared). */
  reachable: boolean;
  /** Error code when unreachable or not configured, else null. */
  error: string | null;
  /** Clients the panel holds (all inbounds). */
  clients: number;
  /** Repairs made, one audit row each (at most {@link REPORT_LIMIT} listed). */
  fixed: PanelFinding[];
  /**
   * Lost clients handed to their subscription's workflow (`ensureClient` signal, one audit row
   * each, `panel_client.ensure_requested`), which re-creates them (at most {@link REPORT_LIMIT} listed).
   */
  signalled: PanelFinding[];
  /** Report-only findings and failed repairs (at most {@link REPORT_LIMIT} listed). */
  unresolved: UnresolvedFinding[];
  /** Findings left out of the lists above to keep the result small. */
  omitted: number;
}

/** Most findings of each list a report carries (workflow results should stay far below 2 MB). */
export const REPORT_LIMIT = 50;

const ACTOR: Actor = { type: 'system', component: 'reconciler' };
const AUDIT_ACTION = { recreate: 'panel_client.recreated', delete: 'panel_client.deleted', update: 'panel_client.updated' } as const;

/** A finding about one subscription's client. */
type OwnFinding = Extract<PanelFinding, { subscriptionId: number }>;

/** Error code reported for a repair skipped because the subscription's row stayed locked. */
export const SUBSCRIPTION_BUSY = 'SUBSCRIPTION_BUSY';

/**
 * The panel reconciler: compares a server's panel with the database (diffPanelClients) and
 * repairs what is safe, writing one audit row per repair.
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
export function createReconcileActivities(deps: ReconcileActivityDeps) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:reconciler' });
  const lockTimeoutMs = deps.lockTimeoutMs ?? 5_000;
  const targets = createPanelTargets(deps);

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
  function judgeAgain(serverId: number, finding: OwnFinding, fresh: SubscriptionRow, snapshot: { inboundIds: number[]; clients: PanelClientEntry[] }): OwnFinding | undefined {
    const clients = snapshot.clients.filter((client) => client.email === finding.email);
    const again = diffPanelClients({ serverId, rows: [toDbRow(fresh)] }, { inboundIds: snapshot.inboundIds, clients }, new Date());
    return again.find((candidate): candidate is OwnFinding => candidate.kind === finding.kind && candidate.fix === finding.fix);
  }

  /** Asks the subscription's workflow to re-create its client; false when no workflow runs. */
  async function signalEnsureClient(temporal: Client, subscriptionId: number): Promise<boolean> {
    const payload: EnsureClientSignal = { reason: 'reconciler:missing-client' };
    try {
      await temporal.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).signal(SignalName.ensureClient, payload);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** Applies one repair (see the factory's comment for why it cannot race the workflow). */
  async function repair(server: VpnServerRow, found: PanelFinding, panel: PanelClient, snapshot: { inboundIds: number[]; clients: PanelClientEntry[] }): Promise<'fixed' | 'signalled' | 'stale'> {
    const serverId = server.id;
    if (found.fix === null || !('subscriptionId' in found)) return 'stale';
    const finding: OwnFinding = found;
    if (finding.kind === 'missing' && deps.temporal !== undefined) {
      const fresh = await getSubscription(db, finding.subscriptionId);
      const current = fresh === null ? undefined : judgeAgain(serverId, finding, fresh, snapshot);
      if (fresh === null || current === undefined) return 'stale';
      if (await signalEnsureClient(deps.temporal, current.subscriptionId)) {
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
      switch (current.kind) {
        case 'missing': {
          const inboundId = fresh.xui_inbound_id ?? server.xui_inbound_id;
          if (inboundId === null) throw new PanelNotConfiguredError(`server ${serverId} has no inbound id`);
          const target = { server, panel, inboundId, identity: identityOf(fresh.id, fresh, deps.clientIdSalt) };
          await targets.applyClient(fresh, target, { enable: true, expiryTime: current.expectedExpiryMs }, tx);
          break;
        }
        case 'extra':
          await deleteOrDisableClient(panel, current.inboundId, current.email);
          break;
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
        action: AUDIT_ACTION[current.fix],
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
      await deps.alertOperators({ kind: 'orphan_repaired', key: `reconcile:server-${serverId}:${new Date().toISOString().slice(0, 13)}`, summary, serverId });
    } catch (error) {
      log.error({ serverId, err: error instanceof Error ? error.message : String(error) }, 'operator alert failed');
    }
  }

  return {
    /**
     * Reconciles one server's panel with the database. Reads every inbound's clients (one
     * listing), the subscriptions placed on the server and those the panel's own-looking emails
     * name, and acts on `diffPanelClients`: re-creates a paid client the panel lost (same
     * identity, so the same key), deletes clients of subscriptions that moved away (the old
     * client a failover leaves behind is deleted here, once the server answers again), were
     * cancelled or expired long ago, and sets expiry/enabled back to what was paid for. Each
     * repair holds the subscription's row lock while it judges again and acts, and writes one
     * audit row (actor system:reconciler); a lost client of a subscription whose workflow runs is
     * handed to that workflow (`signalled`) instead; a client on the server a move is bringing it
     * to is left alone. Everything else is reported, logged at warn; operators get one alert per
     * server and hour when anything was repaired. An unreachable panel is a verdict
     * (`reachable: false`), not a failure.
     *
     * @idempotency serverId: repairs are idempotent and re-checked, so a retry redoes nothing
     * @throws ApplicationFailure typed NOT_FOUND for an unknown server; database errors as they are
     */
    async reconcilePanel(input: { serverId: number }): Promise<ReconcileReport> {
      return asActivity(async () => {
        const { serverId } = input;
        const report: ReconcileReport = { serverId, reachable: false, error: null, clients: 0, fixed: [], signalled: [], unresolved: [], omitted: 0 };
        const server = await getServer(db, serverId);
        if (server === null) throw new RecordNotFoundError('server');

        let panel: PanelClient;
        let inbounds: PanelInbound[];
        try {
          panel = heartbeating((await deps.panels.getPanel(serverId)).client);
          inbounds = await panel.listInbounds();
        } catch (error) {
          if (!isPanelError(error)) throw error;
          log.warn({ serverId, code: error.code }, 'panel not reconciled: unreachable or not configured');
          return { ...report, error: error.code };
        }

        const clients = panelClientsOf(inbounds);
        const serverRows = await listSubscriptionsOnServer(db, { serverId });
        const named = clients.flatMap((client) => {
          const id = OWN_CLIENT_EMAIL.exec(client.email)?.[1];
          return id === undefined || serverRows.some((row) => row.id === Number(id)) ? [] : [Number(id)];
        });
        const rows = [...serverRows, ...(await listSubscriptionsByIds(db, [...new Set(named)]))];
        const inboundIds = [
          ...new Set([server.xui_inbound_id, ...serverRows.map((row) => row.xui_inbound_id)].filter((id): id is number => id !== null)),
        ];
        const snapshot = { inboundIds, clients };
        const findings = diffPanelClients({ serverId, rows: rows.map(toDbRow) }, snapshot, new Date());

        const fixed: PanelFinding[] = [];
        const signalled: PanelFinding[] = [];
        const unresolved: UnresolvedFinding[] = [];
        for (const finding of findings) {
          heartbeatIfActivity({ done: fixed.length + signalled.length + unresolved.length });
          if (finding.fix === null) {
            unresolved.push(finding);
            continue;
          }
          try {
            const outcome = await repair(server, finding, panel, snapshot);
            if (outcome === 'fixed') fixed.push(finding);
            else if (outcome === 'signalled') signalled.push(finding);
          } catch (error) {
            const code = failureCode(error);
            if (code === null) throw error;
            unresolved.push({ ...finding, error: code });
          }
        }

        if (fixed.length > 0) log.info({ serverId, fixed: fixed.slice(0, REPORT_LIMIT) }, 'panel drift repaired');
        if (signalled.length > 0) log.info({ serverId, signalled: signalled.slice(0, REPORT_LIMIT) }, 'lost clients handed to their workflows');
        if (unresolved.length > 0) log.warn({ serverId, unresolved: unresolved.slice(0, REPORT_LIMIT) }, 'panel drift not repaired');
        await alertRepairs(serverId, fixed, signalled);
        return {
          ...report,
          reachable: true,
          clients: clients.length,
          fixed: fixed.slice(0, REPORT_LIMIT),
          signalled: signalled.slice(0, REPORT_LIMIT),
          unresolved: unresolved.slice(0, REPORT_LIMIT),
          omitted: [fixed, signalled, unresolved].reduce((sum, list) => sum + Math.max(0, list.length - REPORT_LIMIT), 0),
        };
      });
    },
  };
}

/** Every client of every inbound, with its traffic row's counters and enabled state. */
function panelClientsOf(inbounds: readonly PanelInbound[]): PanelClientEntry[] {
  return inbounds.flatMap((inbound) => {
    const stats = new Map(inbound.clientStats.map((stat) => [stat.email, stat]));
    return inbound.clients.map((client) => {
      const stat = stats.get(client.email);
      return {
        inboundId: inbound.id,
        email: client.email,
        uuid: client.id,
        // The panel disables an expired or over-quota client in its traffic row only.
        enable: client.enable && (stat?.enable ?? true),
        expiryTime: client.expiryTime,
        usedBytes: stat === undefined ? 0 : stat.up + stat.down,
        totalBytes: client.totalGB,
      };
    });
  });
}

/**
 * The stable code of an expected failure (AppError or typed ApplicationFailure; a row lock not
 * granted within the lock timeout is {@link SUBSCRIPTION_BUSY}: the next run tries again), else null.
 */
function failureCode(error: unknown): string | null {
  if (error instanceof AppError) return error.code;
  if (error instanceof ApplicationFailure && error.type) return error.type;
  if (isLockTimeout(error)) return SUBSCRIPTION_BUSY;
  return null;
}

/** True for Postgres' lock_not_available (55P03) anywhere in the error's cause chain. */
function isLockTimeout(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if ((current as { code?: unknown }).code === '55P03') return true;
  }
  return false;
}

/** The reconciler activity's interface. */
export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
