import { ApplicationFailure } from '@temporalio/activity';
import { AppError, RecordNotFoundError } from '../lib/errors';
import type { PanelClient } from '../lib/xui/panel-client';
import { isPanelError } from '../lib/xui/panel-errors';
import type { PanelInbound } from '../lib/xui/panel-schemas';
import { listSubscriptionsByIds, listSubscriptionsOnServer } from '../sql/repositories/fleet-repository';
import { getServer, listSiblingServers } from '../sql/repositories/servers-repository';
import { heartbeatIfActivity, heartbeating } from './activity-context';
import { diffPanelClients, OWN_CLIENT_EMAIL, type PanelClientEntry, type PanelFinding } from './diff-panel-clients';
import { createReconcileRepair, type ReconcileRepairDeps } from './reconcile-repair';
import { asActivity } from './to-activity-failure';
import type { ReconcileActivities, ReconcileReport, UnresolvedFinding } from './contracts/reconcile-activities';

/** Dependencies of the reconciler activity. */
export type ReconcileActivityDeps = ReconcileRepairDeps;

export type { ReconcileReport, UnresolvedFinding } from './contracts/reconcile-activities';

/** Most findings of each list a report carries (workflow results should stay far below 2 MB). */
export const REPORT_LIMIT = 50;

/** Error code reported for a repair skipped because the subscription's row stayed locked. */
export const SUBSCRIPTION_BUSY = 'SUBSCRIPTION_BUSY';

/** Error code of a destructive repair not made because the server is closed (is_active false). */
export const SERVER_INACTIVE = 'SERVER_INACTIVE';

/** Error code of a destructive repair held back because the run already made its cap of them. */
export const REPAIR_CAP_REACHED = 'REPAIR_CAP_REACHED';

/** Error code of a delete not made because another subscription records that email or uuid. */
export const CLIENT_OWNED_ELSEWHERE = 'CLIENT_OWNED_ELSEWHERE';

/** Default of {@link ReconcileRepairDeps.maxDestructivePerRun}. */
export const DEFAULT_MAX_DESTRUCTIVE_REPAIRS = 20;

/** A repair that takes a key away: a delete, or an update that disables the client. */
export function isDestructive(finding: PanelFinding): boolean {
  return finding.fix === 'delete' || (finding.kind === 'drift' && finding.enable?.expected === false);
}

/**
 * The panel reconciler: compares a server's panel with the database (diffPanelClients) and
 * repairs what is safe (reconcile-repair.ts says why a repair cannot race the workflow).
 */
export function createReconcileActivities(deps: ReconcileActivityDeps): ReconcileActivities {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:reconciler' });
  const { toDbRow, repair, alertRepairs, alertHeldBack } = createReconcileRepair(deps);
  const maxDestructive = deps.maxDestructivePerRun ?? DEFAULT_MAX_DESTRUCTIVE_REPAIRS;

  return {
    /**
     * Reconciles one server's panel with the database. Reads every inbound's clients (one
     * listing) and judges only those on the inbounds this row sells (several rows may share one
     * panel, one per inbound; a client of a subscription living on another row of the panel is
     * reported, never deleted), against the subscriptions placed on the server and those the
     * panel's own-looking emails name, and acts on `diffPanelClients`: re-creates a paid client the panel lost (same
     * identity, so the same key), deletes clients of subscriptions that moved away (the old
     * client a failover leaves behind is deleted here, once the server answers again), were
     * cancelled or expired long ago, and sets expiry/enabled back to what was paid for. Each
     * repair holds the subscription's row lock while it judges again and acts, and writes one
     * audit row (actor system:reconciler); a lost client of a subscription whose workflow runs is
     * handed to that workflow (`signalled`) instead; a client on the server a move is bringing it
     * to is left alone. Destructive repairs (deletes, disables) are skipped on a closed server
     * (`SERVER_INACTIVE`), never made for a client another subscription records
     * (`CLIENT_OWNED_ELSEWHERE`), and capped per run (`maxDestructivePerRun`; the rest are held
     * back as `REPAIR_CAP_REACHED`, with an operator alert). Everything else is reported, logged at
     * warn; operators get one alert per server and hour when anything was repaired. An unreachable panel is a verdict
     * (`reachable: false`), not a failure.
     *
     * @idempotency serverId: repairs are idempotent and re-checked, so a retry redoes nothing
     * @throws ApplicationFailure typed NOT_FOUND for an unknown server; database errors as they are
     */
    async reconcilePanel(input: { serverId: number }): Promise<ReconcileReport> {
      return asActivity(async () => {
        const { serverId } = input;
        const report: ReconcileReport = {
          serverId,
          reachable: false,
          error: null,
          clients: 0,
          fixed: [],
          signalled: [],
          unresolved: [],
          omitted: 0,
        };
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

        const allClients = panelClientsOf(inbounds);
        const serverRows = await listSubscriptionsOnServer(db, { serverId });
        // This row judges only the inbounds it sells (its own and those its subscriptions record):
        // other rows on the same panel sell the other inbounds, and their clients are theirs.
        const inboundIds = [
          ...new Set([server.xui_inbound_id, ...serverRows.map((row) => row.xui_inbound_id)].filter((id): id is number => id !== null)),
        ];
        const clients = allClients.filter((client) => inboundIds.includes(client.inboundId));
        const siblings = await listSiblingServers(db, {
          serverId,
          panelUrl: server.xui_panel_url ?? '',
          webBasePath: server.xui_web_base_path,
        });
        const named = clients.flatMap((client) => {
          const id = OWN_CLIENT_EMAIL.exec(client.email)?.[1];
          return id === undefined || serverRows.some((row) => row.id === Number(id)) ? [] : [Number(id)];
        });
        const rows = [...serverRows, ...(await listSubscriptionsByIds(db, [...new Set(named)]))];
        // A v2 panel refuses to delete an inbound's last client (left disabled instead).
        const snapshot = { inboundIds, clients, keepsLastClient: (await panel.apiVersion()) === 'v2' };
        const findings = diffPanelClients(
          { serverId, rows: rows.map(toDbRow), siblingServerIds: siblings.map((sibling) => sibling.id) },
          snapshot,
          new Date(),
        );

        const fixed: PanelFinding[] = [];
        const signalled: PanelFinding[] = [];
        const unresolved: UnresolvedFinding[] = [];
        const heldBack: UnresolvedFinding[] = [];
        let destructiveDone = 0;
        for (const finding of findings) {
          heartbeatIfActivity({ done: fixed.length + signalled.length + unresolved.length });
          if (finding.fix === null) {
            unresolved.push(finding);
            continue;
          }
          const destructive = isDestructive(finding);
          // A closed server is left as it is (an operator or a failover closed it for a reason);
          // its deletions wait until it is opened again.
          if (destructive && !server.is_active) {
            unresolved.push({ ...finding, error: SERVER_INACTIVE });
            continue;
          }
          if (destructive && destructiveDone >= maxDestructive) {
            const held = { ...finding, error: REPAIR_CAP_REACHED };
            unresolved.push(held);
            heldBack.push(held);
            continue;
          }
          try {
            const outcome = await repair(server, finding, panel, snapshot);
            if (outcome === 'fixed') {
              fixed.push(finding);
              if (destructive) destructiveDone += 1;
            } else if (outcome === 'signalled') signalled.push(finding);
            else if (outcome === 'owned-elsewhere') unresolved.push({ ...finding, error: CLIENT_OWNED_ELSEWHERE });
          } catch (error) {
            const code = failureCode(error);
            if (code === null) throw error;
            unresolved.push({ ...finding, error: code });
          }
        }

        if (fixed.length > 0) log.info({ serverId, fixed: fixed.slice(0, REPORT_LIMIT) }, 'panel drift repaired');
        if (signalled.length > 0)
          log.info({ serverId, signalled: signalled.slice(0, REPORT_LIMIT) }, 'lost clients handed to their workflows');
        if (unresolved.length > 0) log.warn({ serverId, unresolved: unresolved.slice(0, REPORT_LIMIT) }, 'panel drift not repaired');
        await alertRepairs(serverId, fixed, signalled);
        if (heldBack.length > 0) {
          log.warn({ serverId, heldBack: heldBack.length, cap: maxDestructive }, 'destructive repairs held back by the per-run cap');
          await alertHeldBack(serverId, heldBack.length, maxDestructive);
        }
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
export type { ReconcileActivities } from './contracts/reconcile-activities';
