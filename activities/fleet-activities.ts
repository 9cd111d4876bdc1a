import type { Client } from '@temporalio/client';
import { createSubscriptionWorkflowClient, type MoveToServerSignal } from '../clients/subscription-workflow-client';
import type { DatabasePool } from '../lib/db/create-pool';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Actor } from '../sql/repositories/audit-repository';
import {
  deactivateServerForFailover,
  listActiveSubscriptionIdsOnServer,
  listFailoverCandidates,
  listPanelServerIds,
} from '../sql/repositories/fleet-repository';
import { listReopenCandidates, reopenServer } from '../sql/repositories/servers-repository';
import type { AlertActivities } from './contracts/alert-activities';
import { heartbeatIfActivity } from './activity-context';
import { asActivity } from './to-activity-failure';

/** Dependencies of the fleet activities. */
export interface FleetActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /**
   * Temporal client (on the worker's one connection, workers/temporal-connection.ts), for signals;
   * when absent, signalMoveToServer fails non-retryably (CONFIG_INVALID).
   */
  temporal?: Client | undefined;
  /** The operator alert channel: told when a server is re-opened automatically. */
  alertOperators?: AlertActivities['alertOperators'] | undefined;
}

/** Result of `signalMoveToServer`. */
export interface SignalMovesResult {
  /** Subscriptions whose workflow received the signal. */
  signalled: number[];
  /** Subscriptions with no running `subscription-{id}` workflow (an operator must look). */
  missing: number[];
}

const ACTOR: Actor = { type: 'system', component: 'failover' };
const REOPEN_ACTOR: Actor = { type: 'system', component: 'auto-reopen' };

/**
 * Activities of the fleet jobs (panel health probe, failover, traffic sync): which servers to
 * visit, which must fail over, and telling subscription workflows to move.
 */
export function createFleetActivities(deps: FleetActivityDeps) {
  const { db } = deps;
  const log = deps.logger.child({ component: 'activity:fleet' });

  return {
    /**
     * Ids of the servers with a panel URL, by id; `activeOnly` keeps the ones open for new
     * subscriptions.
     *
     * @idempotency read-only
     */
    async listPanelServers(input: { activeOnly: boolean }): Promise<number[]> {
      return asActivity(async () => [...(await listPanelServerIds(db, input))]);
    },

    /**
     * Active servers probed down for at least `downForSeconds` that still hold active
     * subscriptions (listFailoverCandidates).
     *
     * @idempotency read-only
     * @throws RangeError (retried, then surfaced) for a non-positive threshold
     */
    async listFailoverCandidates(input: { downForSeconds: number }): Promise<number[]> {
      return asActivity(async () => [...(await listFailoverCandidates(db, input))]);
    },

    /**
     * Closes a failed-over server to new subscriptions (is_active = false, audited once).
     * An operator opens it again once it is healthy.
     *
     * @idempotency serverId
     * @throws ApplicationFailure typed NOT_FOUND for an unknown server
     */
    async deactivateServerForFailover(input: { serverId: number }): Promise<{ changed: boolean }> {
      return asActivity(async () => {
        const result = await deactivateServerForFailover(db, { serverId: input.serverId, actor: ACTOR });
        if (result.changed) log.warn({ serverId: input.serverId }, 'server deactivated by failover');
        return result;
      });
    },

    /**
     * Re-opens every server the failover closed that the probe has seen up for at least
     * `healthyForSeconds` (PANEL_AUTO_REOPEN): audited `server.reopened` (actor
     * system:auto-reopen), one `server_reopened` operator alert each. Servers an operator closed
     * are never opened here.
     *
     * @idempotency healthyForSeconds: an opened server is no longer a candidate; the alert key is per
     *   server and re-opening time
     * @returns the ids opened by this call
     */
    async reopenHealthyServers(input: { healthyForSeconds: number }): Promise<number[]> {
      return asActivity(async () => {
        const opened: number[] = [];
        for (const serverId of await listReopenCandidates(db, input)) {
          const result = await reopenServer(db, { serverId, healthyForSeconds: input.healthyForSeconds, actor: REOPEN_ACTOR });
          if (!result.reopened) continue;
          opened.push(serverId);
          log.warn({ serverId }, 'server re-opened after staying healthy');
          const summary = `Server #${serverId} '${result.server.name}' re-opened for new subscriptions: healthy again for ${input.healthyForSeconds} s after a failover.`;
          await deps.alertOperators?.({
            kind: 'server_reopened',
            key: `server_reopened:server-${serverId}:${result.server.updated_at.toISOString()}`,
            summary,
            serverId,
          });
        }
        return opened;
      });
    },

    /**
     * Ids of the active subscriptions living on a server.
     *
     * @idempotency read-only
     */
    async listActiveSubscriptionsOnServer(input: { serverId: number }): Promise<number[]> {
      return asActivity(async () => [...(await listActiveSubscriptionIdsOnServer(db, input))]);
    },

    /**
     * Sends `moveToServer { fromServerId, reason }` to each `subscription-{id}` workflow, in
     * order, heartbeating between signals. A subscription without a running workflow is reported
     * in `missing`, not failed: the others must still move.
     *
     * @idempotency fromServerId+subscriptionId: a repeated signal is harmless, the subscription
     *   workflow ignores a move from a server it no longer lives on
     * @throws ApplicationFailure typed CONFIG_INVALID without a Temporal client; Temporal client
     *   errors other than "not found" (retried)
     */
    async signalMoveToServer(input: {
      fromServerId: number;
      subscriptionIds: number[];
      reason: MoveToServerSignal['reason'];
    }): Promise<SignalMovesResult> {
      return asActivity(async () => {
        if (deps.temporal === undefined) throw new ConfigError('the worker was built without a Temporal client; moves cannot be signalled');
        const subscriptions = createSubscriptionWorkflowClient(deps.temporal);
        const payload: MoveToServerSignal = { fromServerId: input.fromServerId, reason: input.reason };
        const result: SignalMovesResult = { signalled: [], missing: [] };
        for (const subscriptionId of input.subscriptionIds) {
          heartbeatIfActivity({ done: result.signalled.length + result.missing.length });
          if (await subscriptions.signalMoveToServer(subscriptionId, payload)) result.signalled.push(subscriptionId);
          else result.missing.push(subscriptionId);
        }
        if (result.missing.length > 0) {
          log.warn(
            { fromServerId: input.fromServerId, missing: result.missing },
            'subscriptions without a running workflow were not moved',
          );
        }
        log.info({ fromServerId: input.fromServerId, signalled: result.signalled.length, reason: input.reason }, 'move signalled');
        return result;
      });
    },
  };
}

/** The fleet activities' interface. */
export type FleetActivities = ReturnType<typeof createFleetActivities>;
