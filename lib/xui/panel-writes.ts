/**
 * Writes to a panel, one at a time and checked. A real v2.9.4 panel rewrites an inbound's whole
 * settings JSON on every client write: concurrent `addClient` calls on one inbound get HTTP 500
 * with an empty body, and one of the "successful" ones can be silently lost. So every write to a
 * panel goes through that panel's queue (concurrency 1, shared by every client of the same panel
 * root), and is verified by reading the client back; a 5xx answer is retried after reading back.
 */
import { PanelNotFoundError, PanelRejectedError, PanelUnavailableError } from './panel-errors';
import type { ClientState, PanelOps } from './panel-ops';
import type { VlessClient } from './panel-schemas';

/** Serial queues keyed by panel root (`scheme://host:port/basepath`). */
export interface PanelWriteQueues {
  /** Runs `task` after every task queued before under `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Tasks queued or running under `key` (tests, metrics). */
  pending(key: string): number;
}

/** Creates an empty set of queues; share one per process (the resolver holds it). */
export function createPanelWriteQueues(): PanelWriteQueues {
  const tails = new Map<string, { tail: Promise<unknown>; count: number }>();
  return {
    run(key, task) {
      const entry = tails.get(key) ?? { tail: Promise.resolve(), count: 0 };
      const result = entry.tail.then(task, task);
      entry.count += 1;
      entry.tail = result.then(
        () => undefined,
        () => undefined,
      );
      const settled = entry.tail;
      tails.set(key, entry);
      void settled.then(() => {
        entry.count -= 1;
        if (entry.count === 0 && tails.get(key) === entry) tails.delete(key);
      });
      return result;
    },
    pending: (key) => tails.get(key)?.count ?? 0,
  };
}

/** Options of {@link createVerifiedWrites}. */
export interface VerifiedWriteOptions {
  /** How many times a write answered 5xx or not found on reading back is tried in all; default 4. */
  attempts?: number;
  /** Pause before the n-th retry is n times this, in milliseconds; default 200. */
  backoffMs?: number;
}

type Writes = Pick<PanelOps, 'addClient' | 'updateClient' | 'deleteClient' | 'resetClientTraffic'>;

/**
 * The write operations of `ops`, each run in `queue` and verified by `ops.lookupClient` (add and
 * update fall back to the inbound when it misses):
 * add and update succeed once the panel holds the client with the written id, enabled state,
 * expiry and quota; delete once the panel no longer holds it in that inbound. A write answered
 * with HTTP 5xx is read back (it may have been applied) and tried again when it was not.
 *
 * @throws PanelUnavailableError (retryable) when the panel never shows the write; the write's
 *   own refusals (PanelRejectedError, PanelNotFoundError) as they are
 */
export function createVerifiedWrites(
  ops: PanelOps,
  queue: <T>(task: () => Promise<T>) => Promise<T>,
  options: VerifiedWriteOptions = {},
): Writes {
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 200;

  async function verified(what: string, write: () => Promise<void>, holds: () => Promise<boolean>): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, backoffMs * (attempt - 1)));
      try {
        await write();
        lastError = undefined;
      } catch (error) {
        if (!isServerError(error)) throw error;
        lastError = error;
      }
      if (await holds()) return;
    }
    throw new PanelUnavailableError(`${what}: the panel did not keep the write after ${attempts} attempts`, {
      reason: 'bad-response',
      cause: lastError,
    });
  }

  /**
   * The client as the panel holds it: the narrow lookup, or, when that misses (a v2 client without
   * the traffic row it reads, e.g. added by editing the inbound), the inbound itself. Only a write
   * that did not show up pays for the wider read.
   */
  async function stateOf(inboundId: number, email: string): Promise<ClientState | null> {
    const narrow = await ops.lookupClient(email);
    if (narrow !== null) return narrow;
    let inbound;
    try {
      inbound = await ops.getInbound(inboundId);
    } catch (error) {
      // No such inbound: nothing holds the client there (the write's own refusal says why).
      if (error instanceof PanelNotFoundError) return null;
      throw error;
    }
    const stored = inbound.clients.find((candidate) => candidate.email === email);
    return stored === undefined
      ? null
      : { id: stored.id, email, inboundIds: [inboundId], enable: stored.enable, expiryTime: stored.expiryTime, totalGB: stored.totalGB };
  }

  const matches = (state: ClientState | null, inboundId: number, client: VlessClient): boolean =>
    state !== null &&
    state.id === client.id &&
    state.inboundIds.includes(inboundId) &&
    state.enable === client.enable &&
    state.expiryTime === client.expiryTime &&
    state.totalGB === client.totalGB;

  return {
    addClient: (inboundId, client) =>
      queue(async () => {
        let refused: unknown;
        await verified(
          `addClient ${client.email}`,
          async () => {
            try {
              await ops.addClient(inboundId, client);
            } catch (error) {
              // A refusal after an earlier attempt's 5xx usually means that attempt was applied.
              if (!(error instanceof PanelRejectedError)) throw error;
              refused = error;
            }
          },
          async () => {
            const held = matches(await stateOf(inboundId, client.email), inboundId, client);
            if (!held && refused !== undefined) throw refused;
            return held;
          },
        );
      }),
    updateClient: (inboundId, client) =>
      queue(() =>
        verified(
          `updateClient ${client.email}`,
          () => ops.updateClient(inboundId, client),
          async () => matches(await stateOf(inboundId, client.email), inboundId, client),
        ),
      ),
    deleteClient: (inboundId, email) =>
      queue(async () => {
        let result = { deleted: false };
        await verified(
          `deleteClient ${email}`,
          async () => {
            const { deleted } = await ops.deleteClient(inboundId, email);
            result = { deleted: result.deleted || deleted };
          },
          async () => !((await ops.lookupClient(email))?.inboundIds.includes(inboundId) ?? false),
        );
        return result;
      }),
    resetClientTraffic: (inboundId, email) => queue(() => ops.resetClientTraffic(inboundId, email)),
  };
}

function isServerError(error: unknown): boolean {
  return error instanceof PanelUnavailableError && error.reason === 'http-status' && (error.status ?? 0) >= 500;
}
