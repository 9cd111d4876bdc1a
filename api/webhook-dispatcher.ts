/**
 * The webhook outbox's dispatcher: hands verified events that the route stored as 'received' to the
 * payment workflows, off the provider's answer path and without losing any.
 *
 * One loop per api process. Each round is one transaction: claim up to `batchSize` due received
 * events (FOR UPDATE SKIP LOCKED, so replicas share the backlog), look up the payments they name
 * (one query),
 * signal-with-start `payment-{id}` for those still open (up to `concurrency` at once), and record
 * every outcome (handed_off, settled, ignored; a failed signal stays received with a backoff) with
 * its audit row before committing. A dispatcher that dies mid-round (crash, kill, lost connection)
 * rolls its round back, so the next dispatcher, here after a restart or in another replica, claims
 * the same events: nothing stored is lost. A crash after a signal and before the commit signals
 * that payment again; the payment workflow takes a repeated verdict signal as a no-op (it re-asks
 * the provider), like a redelivered webhook.
 *
 * The route wakes the loop after storing an event; a poll every `pollMs` catches what other
 * replicas stored, what a crash left and retries that came due.
 */
import type { Counter } from 'prom-client';
import type { signalPaymentVerdict } from '../clients/payment-workflow-client';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import {
  claimWebhookEventsToDispatch,
  findPaymentsForEvents,
  recordWebhookDispatchOutcomes,
  type WebhookDispatchOutcome,
  type WebhookEventToDispatch,
} from '../sql/repositories/webhook-dispatch-repository';
import type { PaymentRow } from '../sql/schemas/payment-row';

/** What a verdict signal says (informational: the workflow re-asks the provider). */
export type VerdictHint = Parameters<typeof signalPaymentVerdict>[2];

/** Wakes `payment-{id}` with a verdict (signal-with-start); throws when Temporal cannot take it. */
export type SignalVerdict = (payment: PaymentRow, hint: VerdictHint) => Promise<void>;

/** Tuning of {@link createWebhookDispatcher}. */
export interface WebhookDispatchSettings {
  /** Events claimed per round; default 32. */
  batchSize?: number;
  /** Signals in flight at once within a round; default 16. */
  concurrency?: number;
  /** Longest sleep between rounds when nothing wakes the loop, in milliseconds; default 1 000. */
  pollMs?: number;
}

/** Dependencies of {@link createWebhookDispatcher}. */
export interface WebhookDispatcherOptions extends WebhookDispatchSettings {
  db: DatabasePool;
  signalVerdict: SignalVerdict;
  logger: Logger;
  /** Counts outcomes (`handed_off`, `settled`, `ignored`, `retry`); none when omitted. */
  counter?: Counter<'outcome'> | undefined;
}

/** A running (or not yet started) dispatcher. */
export interface WebhookDispatcher {
  /** Starts the loop; a second call does nothing. */
  start(): void;
  /** Says an event was stored: the loop runs a round now instead of at its next poll. */
  wake(): void;
  /** Finishes the round in hand and stops the loop. */
  stop(): Promise<void>;
  /** One round outside the loop (tests, tools): how many events it claimed. */
  dispatchRound(): Promise<number>;
}

/**
 * Whether `payment` is already where `kind` leads, so the event has nothing left to do: a
 * completed or refunded payment for any event; a cancelled or failed one for a cancellation (a
 * success may still complete a cancelled or failed payment: the provider's verdict wins).
 */
function alreadySettled(payment: PaymentRow, kind: string): boolean {
  if (payment.status === 'completed' || payment.status === 'refunded') return true;
  return kind === 'canceled' && (payment.status === 'cancelled' || payment.status === 'failed');
}

/** Runs `task` over `items` with at most `limit` at once, keeping their order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Builds the dispatcher (not started). */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { db, logger } = options;
  const batchSize = options.batchSize ?? 32;
  const concurrency = options.concurrency ?? 16;
  const pollMs = options.pollMs ?? 1_000;
  const log = logger.child({ component: 'webhook-dispatcher' });

  async function dispatchRound(): Promise<number> {
    return db.transaction(async (tx) => {
      const events = await claimWebhookEventsToDispatch(tx, batchSize);
      if (events.length === 0) return 0;
      const actionable = events.filter(({ notification: { kind } }) => kind === 'succeeded' || kind === 'canceled');
      const payments = await findPaymentsForEvents(tx, actionable);
      const work: Array<{ event: WebhookEventToDispatch; payment: PaymentRow } | WebhookDispatchOutcome> = [];
      for (const event of events) {
        const { kind } = event.notification;
        const payment = payments.get(event.id) ?? null;
        if (payment === null) {
          if (kind === 'succeeded' || kind === 'canceled')
            log.warn(
              { eventId: event.id, provider: event.provider, orderId: event.notification.orderId },
              'webhook for no payment of ours; stored',
            );
          work.push({ eventId: event.id, status: 'ignored' });
        } else if (alreadySettled(payment, kind)) {
          work.push({ eventId: event.id, status: 'settled', paymentId: payment.id });
        } else {
          work.push({ event, payment });
        }
      }
      const outcomes = await mapLimited(work, concurrency, async (item): Promise<WebhookDispatchOutcome> => {
        if (!('event' in item)) return item;
        const { event, payment } = item;
        try {
          await options.signalVerdict(payment, { source: `webhook:${event.provider}`, kind: event.notification.kind });
          return { eventId: event.id, status: 'handed_off', paymentId: payment.id };
        } catch (error) {
          return { eventId: event.id, status: 'retry', error: `hand-off failed: ${error instanceof Error ? error.name : 'unknown'}` };
        }
      });
      await recordWebhookDispatchOutcomes(tx, outcomes);
      const retries = outcomes.filter((outcome) => outcome.status === 'retry');
      if (retries.length > 0) {
        // One line per round, not per event: the events stay received and are retried after a backoff.
        log.error(
          {
            failed: retries.length,
            of: outcomes.length,
            firstEventId: retries[0]?.eventId,
            reason: retries[0]?.status === 'retry' ? retries[0].error : undefined,
          },
          'webhook hand-off failed; will retry',
        );
      }
      for (const outcome of outcomes) options.counter?.inc({ outcome: outcome.status });
      return events.length;
    });
  }

  let running: Promise<void> | undefined;
  let stopping = false;
  let woken = false;
  let sleeper: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        sleeper = undefined;
        resolve();
      }, ms);
      sleeper = () => {
        clearTimeout(timer);
        sleeper = undefined;
        resolve();
      };
    });

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      woken = false;
      let claimed = 0;
      try {
        claimed = await dispatchRound();
        failures = 0;
      } catch (error) {
        // The database is down or the round failed as a whole: nothing was recorded, so the same
        // events come back. Back off so a dead database does not turn into a busy loop of errors.
        failures += 1;
        log.error(
          { err: error instanceof Error ? { name: error.name, message: error.message } : 'unknown', failures },
          'webhook dispatch round failed; will retry',
        );
        if (!stopping) await sleep(Math.min(pollMs * 2 ** Math.min(failures, 6), 60_000));
        continue;
      }
      if (stopping) break;
      if (claimed >= batchSize || woken) continue;
      await sleep(pollMs);
    }
  }

  return {
    start() {
      if (running !== undefined) return;
      stopping = false;
      running = loop();
    },
    wake() {
      woken = true;
      sleeper?.();
    },
    async stop() {
      stopping = true;
      sleeper?.();
      await running;
      running = undefined;
    },
    dispatchRound,
  };
}
