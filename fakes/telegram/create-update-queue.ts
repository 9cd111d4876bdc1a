import { BotApiError } from './bot-api-error';

/** An update as the fake builds it: `update_id` plus exactly one payload field. */
export type FakeUpdate = { update_id: number } & Record<string, unknown>;

/** Update types Telegram delivers when `allowed_updates` is empty or was never set. */
const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

/** Parameters of `getUpdates`, already validated. */
export interface GetUpdatesParams {
  offset?: number | undefined;
  limit?: number | undefined;
  /** Long-polling wait in seconds; 0 answers at once. */
  timeout?: number | undefined;
  allowed_updates?: string[] | undefined;
}

/** The fake's pending updates and its one long-polling `getUpdates` request. */
export interface UpdateQueue {
  /** Appends an update, giving it the next `update_id`, and wakes a waiting `getUpdates`. */
  push(payload: Record<string, unknown>): FakeUpdate;
  /**
   * Telegram's `getUpdates`: confirms updates below `offset`, filters by `allowed_updates`
   * (remembered between calls, `[]` resets to the default), and holds the request open up to
   * `timeout` seconds until something arrives. A second concurrent call ends the first with
   * 409 like Telegram does. `signal` aborts the wait when the client goes away.
   *
   * @throws BotApiError 409 while a webhook is set
   */
  getUpdates(params: GetUpdatesParams, signal: AbortSignal): Promise<FakeUpdate[]>;
  /**
   * Telegram delivers update `updateId` again, as it does when the bot's offset never confirmed it
   * (a restart or crash right after fetching it, a webhook timeout): the same update, same
   * `update_id`, is queued again for a bot that polls from offset 0 (a restarted one).
   *
   * @throws Error when no update with that id was ever queued
   */
  redeliver(updateId: number): FakeUpdate;
  /** Every update ever queued, oldest first (confirmed or not). */
  history(): FakeUpdate[];
  /** Forgets every pending update (`deleteWebhook({ drop_pending_updates: true })`). */
  clear(): void;
  /** Updates not yet confirmed by an offset. */
  pending(): readonly FakeUpdate[];
  /** Sets or clears the webhook URL; while set, `getUpdates` answers 409. */
  setWebhook(url: string | undefined): void;
  /** The webhook URL, if one is set. */
  webhookUrl(): string | undefined;
  /** Answers a waiting `getUpdates` with what it has (used on shutdown). */
  releaseWaiter(): void;
}

interface Waiter {
  limit: number;
  finish(updates: FakeUpdate[] | BotApiError): void;
}

/** Creates an empty {@link UpdateQueue}; update ids start at `firstUpdateId` (default 1). */
export function createUpdateQueue(firstUpdateId = 1): UpdateQueue {
  let updates: FakeUpdate[] = [];
  let nextId = firstUpdateId;
  let allowed: Set<string> | undefined;
  let webhook: string | undefined;
  let waiter: Waiter | undefined;
  /** Every update ever queued, by id, for {@link UpdateQueue.redeliver}. */
  const history = new Map<number, FakeUpdate>();

  const isAllowed = (update: FakeUpdate): boolean => {
    const type = Object.keys(update).find((key) => key !== 'update_id') ?? '';
    return allowed === undefined ? !DEFAULT_EXCLUDED.has(type) : allowed.has(type);
  };
  /* Telegram drops updates of types the bot did not ask for, it does not keep them for later. */
  const deliverable = (limit: number): FakeUpdate[] => {
    updates = updates.filter(isAllowed);
    return updates.slice(0, limit);
  };
  const wake = () => {
    if (waiter === undefined) return;
    const ready = deliverable(waiter.limit);
    if (ready.length > 0) waiter.finish(ready);
  };

  return {
    push(payload) {
      const update: FakeUpdate = { update_id: nextId++, ...payload };
      updates.push(update);
      history.set(update.update_id, update);
      wake();
      return update;
    },
    history: () => [...history.values()],
    redeliver(updateId) {
      const update = history.get(updateId);
      if (update === undefined) throw new Error(`redeliver: no update ${updateId} was ever queued`);
      updates = [...updates.filter((pending) => pending.update_id !== updateId), update].sort((a, b) => a.update_id - b.update_id);
      wake();
      return update;
    },
    getUpdates(params, signal) {
      if (webhook !== undefined) {
        return Promise.reject(
          new BotApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
          ),
        );
      }
      waiter?.finish(
        new BotApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'),
      );
      const offset = params.offset ?? 0;
      if (offset > 0) updates = updates.filter((update) => update.update_id >= offset);
      else if (offset < 0) updates = updates.slice(offset);
      if (params.allowed_updates !== undefined) {
        allowed = params.allowed_updates.length === 0 ? undefined : new Set(params.allowed_updates);
      }
      const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
      const ready = deliverable(limit);
      const timeoutSeconds = params.timeout ?? 0;
      if (ready.length > 0 || timeoutSeconds <= 0 || signal.aborted) return Promise.resolve(ready);
      return new Promise<FakeUpdate[]>((resolve, reject) => {
        const self: Waiter = {
          limit,
          finish(result) {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            if (waiter === self) waiter = undefined;
            if (result instanceof BotApiError) reject(result);
            else resolve(result);
          },
        };
        const onAbort = () => self.finish([]);
        const timer = setTimeout(() => self.finish([]), timeoutSeconds * 1000);
        signal.addEventListener('abort', onAbort);
        waiter = self;
      });
    },
    clear() {
      updates = [];
    },
    pending: () => updates,
    setWebhook(url) {
      webhook = url;
      if (url !== undefined) {
        waiter?.finish(new BotApiError(409, 'Conflict: terminated by setWebhook request'));
      }
    },
    webhookUrl: () => webhook,
    releaseWaiter() {
      waiter?.finish(deliverable(waiter.limit));
    },
  };
}
