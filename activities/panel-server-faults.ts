/**
 * What provisioning does when a server, rather than the request, is at fault: the panel does not
 * answer, refuses our credentials, or lacks configuration. The server is marked down (the same
 * verdict the health probe records, so new subscriptions skip it until the probe sees it answer
 * again), the operators are told once per server and hour, and the activity fails with a
 * retryable failure so the workflow's next attempt picks another server.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { DatabasePool } from '../lib/db/create-pool';
import { AppError, ErrorCode } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Actor } from '../sql/repositories/audit-repository';
import { recordServerHealth } from '../sql/repositories/servers-repository';
import type { AlertActivities } from './contracts/alert-activities';

/** Codes that say the server is unusable for us now, whatever the request. */
export const SERVER_FAULT_CODES: readonly string[] = [
  ErrorCode.PANEL_UNAVAILABLE,
  ErrorCode.PANEL_AUTH_FAILED,
  ErrorCode.PANEL_NOT_CONFIGURED,
  ErrorCode.PANEL_NOT_FOUND,
  ErrorCode.SECRET_DECRYPT_FAILED,
];

/** True when `error` blames the server (see {@link SERVER_FAULT_CODES}), not the request. */
export function isServerFault(error: unknown): error is AppError {
  return error instanceof AppError && SERVER_FAULT_CODES.includes(error.code);
}

/** The alert dedup key of a server's provisioning fault: one per server and UTC hour. */
export function serverFaultAlertKey(serverId: number, at: Date): string {
  return `panel_unavailable:server-${serverId}:${at.toISOString().slice(0, 13)}`;
}

/** Dependencies of {@link createServerFaults}. */
export interface ServerFaultDeps {
  db: DatabasePool;
  logger: Logger;
  /** The operator alert channel; absent in tests that do not look at alerts (then only logged). */
  alertOperators?: AlertActivities['alertOperators'] | undefined;
  /** Clock for the alert's hour; default `new Date()`. */
  now?: (() => Date) | undefined;
}

/** Records server faults seen while provisioning. */
export function createServerFaults(deps: ServerFaultDeps, actor: Actor) {
  const log = deps.logger.child({ component: 'activity:panel' });
  const now = deps.now ?? (() => new Date());

  return {
    /**
     * Marks the server down with the fault's code (audited on the transition), alerts the
     * operators (deduplicated per server and hour; an alert failure is logged, never thrown) and
     * returns the retryable failure the activity throws. The message carries codes and ids only.
     */
    async record(input: {
      serverId: number;
      serverName?: string;
      subscriptionId: number;
      error: AppError;
      what: 'provisioning' | 'move';
    }): Promise<ApplicationFailure> {
      const { serverId, subscriptionId, error } = input;
      await recordServerHealth(deps.db, { serverId, up: false, error: `${error.code}: ${error.message}`, actor });
      const summary =
        `Server #${serverId}${input.serverName === undefined ? '' : ` (${input.serverName})`} failed ${input.what} of subscription #${subscriptionId} with ${error.code}; ` +
        `it is marked down and skipped for new subscriptions until the health probe sees it answer again.`;
      log.warn({ serverId, subscriptionId, code: error.code }, 'server skipped: marked down after a provisioning fault');
      if (deps.alertOperators !== undefined) {
        try {
          await deps.alertOperators({
            kind: 'panel_unavailable',
            key: serverFaultAlertKey(serverId, now()),
            summary,
            serverId,
            subscriptionId,
          });
        } catch (alertError) {
          log.error({ serverId, err: alertError instanceof Error ? alertError.message : String(alertError) }, 'operator alert failed');
        }
      }
      return ApplicationFailure.create({
        type: ErrorCode.PANEL_UNAVAILABLE,
        nonRetryable: false,
        message: `server ${serverId} failed with ${error.code}; its slot was given back and the next attempt picks another server`,
      });
    },
  };
}
