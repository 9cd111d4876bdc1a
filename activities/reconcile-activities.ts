import { ApplicationFailure } from '@temporalio/activity';
import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, RecordNotFoundError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { PanelClient } from '../lib/xui/panel-client';
import { isPanelError } from '../lib/xui/panel-errors';
import type { PanelResolver } from '../lib/xui/panel-for-server';
import type { PanelInbound } from '../lib/xui/panel-schemas';
import { writeAuditLog, type Actor } from '../sql/repositories/audit-repository';
import { listSubscriptionsByIds, listSubscriptionsOnServer } from '../sql/repositories/fleet-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { getSubscription } from '../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import { heartbeatIfActivity, heartbeating } from './activity-context';
import { diffPanelClients, OWN_CLIENT_EMAIL, type DbClientRow, type PanelClientEntry, type PanelFinding } from './diff-panel-clients';
import type { PanelActivities } from './panel-activities';
import { identityOf } from './panel-client-spec';
import { asActivity } from './to-activity-failure';

/** Dependencies of the reconciler activity. */
export interface ReconcileActivityDeps {
  db: DatabasePool;
  logger: Logger;
  panels: PanelResolver;
  /** Secret from which client identities derive (never logged). */
  clientIdSalt: string;
  /** The provisioning logic repairs go through (re-create with the plan's limits, delete). */
  panelActivities: Pick<PanelActivities, 'extendClient' | 'deleteClient'>;
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
  /** Report-only findings and failed repairs (at most {@link REPORT_LIMIT} listed). */
  unresolved: UnresolvedFinding[];
  /** Findings left out of the lists above to keep the result small. */
  omitted: number;
}

/** Most findings of each list a report carries (workflow results should stay far below 2 MB). */
export const REPORT_LIMIT = 50;

const ACTOR: Actor = { type: 'system', component: 'reconciler' };
const AUDIT_ACTION = { recreate: 'panel_client.recreated', delete: 'panel_client.deleted', update: 'panel_client.updated' } as const;

/**
 * The panel reconciler: compares a server's panel with the database (diffPanelClients) and
 * repairs what is safe, writing one audit row per repair.
 */
export function createReconcileActivities(deps: ReconcileActivityDeps) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:reconciler' });

  function toDbRow(row: SubscriptionRow): DbClientRow {
    const identity = identityOf(row.id, row, deps.clientIdSalt);
    return {
      subscriptionId: row.id,
      status: row.status,
      serverId: row.server_id,
      slotHeld: row.server_slot_held,
      endsAtMs: row.end_date?.getTime() ?? null,
      email: identity.email,
      uuid: identity.uuid,
    };
  }

  /** Applies one repair after re-reading the row (a workflow may have acted meanwhile). */
  async function repair(serverId: number, finding: PanelFinding, panel: PanelClient, snapshot: { inboundIds: number[]; clients: PanelClientEntry[] }): Promise<'fixed' | 'stale'> {
    if (finding.fix === null || !('subscriptionId' in finding)) return 'stale';
    const fresh = await getSubscription(db, finding.subscriptionId);
    if (fresh === null) return 'stale';
    const clients = snapshot.clients.filter((client) => client.email === finding.email);
    const again = diffPanelClients({ serverId, rows: [toDbRow(fresh)] }, { inboundIds: snapshot.inboundIds, clients }, new Date());
    const current = again.find((candidate) => candidate.kind === finding.kind && candidate.fix === finding.fix);
    if (current === undefined) return 'stale';

    switch (current.kind) {
      case 'missing':
        await deps.panelActivities.extendClient({ subscriptionId: current.subscriptionId, expiresAt: new Date(current.expectedExpiryMs) });
        break;
      case 'extra':
        await deps.panelActivities.deleteClient({ subscriptionId: current.subscriptionId, serverId });
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
    await writeAuditLog(db, {
      actor: ACTOR,
      action: AUDIT_ACTION[current.fix],
      entityType: 'subscription',
      entityId: current.subscriptionId,
      userId: fresh.user_id,
      details: { server_id: serverId, finding: current },
    });
    return 'fixed';
  }

  return {
    /**
     * Reconciles one server's panel with the database. Reads every inbound's clients (one
     * listing), the subscriptions placed on the server and those the panel's own-looking emails
     * name, and acts on `diffPanelClients`: re-creates a paid client the panel lost (same
     * identity, so the same key), deletes clients of subscriptions that moved away (the old
     * client a failover leaves behind is deleted here, once the server answers again), were
     * cancelled or expired long ago, and sets expiry/enabled back to what was paid for. Each
     * repair re-reads its row first and writes one audit row (actor system:reconciler);
     * everything else is reported, logged at warn. An unreachable panel is a verdict
     * (`reachable: false`), not a failure.
     *
     * @idempotency serverId: repairs are idempotent and re-checked, so a retry redoes nothing
     * @throws ApplicationFailure typed NOT_FOUND for an unknown server; database errors as they are
     */
    async reconcilePanel(input: { serverId: number }): Promise<ReconcileReport> {
      return asActivity(async () => {
        const { serverId } = input;
        const report: ReconcileReport = { serverId, reachable: false, error: null, clients: 0, fixed: [], unresolved: [], omitted: 0 };
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
        const unresolved: UnresolvedFinding[] = [];
        for (const finding of findings) {
          heartbeatIfActivity({ done: fixed.length + unresolved.length });
          if (finding.fix === null) {
            unresolved.push(finding);
            continue;
          }
          try {
            if ((await repair(serverId, finding, panel, snapshot)) === 'fixed') fixed.push(finding);
          } catch (error) {
            const code = failureCode(error);
            if (code === null) throw error;
            unresolved.push({ ...finding, error: code });
          }
        }

        if (fixed.length > 0) log.info({ serverId, fixed: fixed.slice(0, REPORT_LIMIT) }, 'panel drift repaired');
        if (unresolved.length > 0) log.warn({ serverId, unresolved: unresolved.slice(0, REPORT_LIMIT) }, 'panel drift not repaired');
        return {
          ...report,
          reachable: true,
          clients: clients.length,
          fixed: fixed.slice(0, REPORT_LIMIT),
          unresolved: unresolved.slice(0, REPORT_LIMIT),
          omitted: Math.max(0, fixed.length - REPORT_LIMIT) + Math.max(0, unresolved.length - REPORT_LIMIT),
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

/** The stable code of an expected failure (AppError or typed ApplicationFailure), else null. */
function failureCode(error: unknown): string | null {
  if (error instanceof AppError) return error.code;
  if (error instanceof ApplicationFailure && error.type) return error.type;
  return null;
}

/** The reconciler activity's interface. */
export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
