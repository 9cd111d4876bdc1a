/**
 * The broadcast activities: throttled sending with per-user claims (no user messaged twice), the
 * end of a broadcast and its report to the operator.
 *
 * At most once per user, argued: a delivery row is claimed (pending -> sending, committed) BEFORE
 * sendMessage, and only pending rows are ever claimed. A crash between the claim and recording the
 * outcome leaves the row 'sending'; whether Telegram delivered it is unknowable (the request may
 * have reached Telegram just before the worker died), so it is never resent and ends 'unknown' in
 * the report. The ambiguous window is the sends in flight: at most {@link CONCURRENCY} rows per
 * crash. A 429 is the one failure that proves non-delivery, so it (and only it) puts the row back
 * to pending and pauses every sender for retry_after, burning no retry.
 */
import { ConfigError, RecordNotFoundError } from '../lib/errors';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { createRateLimiter } from '../lib/rate-limiter';
import {
  cancelBroadcast,
  claimNextDelivery,
  countDeliveries,
  finishBroadcast,
  finishDelivery,
  getBroadcast,
  isBroadcastRunning,
  markBroadcastReported,
  releaseDelivery,
  type BroadcastRow,
} from '../sql/repositories/broadcast-repository';
import { heartbeatIfActivity } from './activity-context';
import type { BroadcastSender } from './broadcast-sender';
import type { BroadcastActivities, BroadcastProgress } from './contracts/broadcast-activities';
import type { TelegramSender } from './telegram-sender';
import { asActivity } from './to-activity-failure';

/** Sends in flight at once: enough to reach the rate over a slow link, and the most a crash can leave ambiguous. */
export const CONCURRENCY = 4;

/** Broadcast messages per second: under Telegram's ~30/s per bot, leaving room for the bot's other messages. */
export const DEFAULT_BROADCAST_RATE = 25;

/** Dependencies of the broadcast activities. */
export interface BroadcastActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** Sends the report to the operator. */
  telegram: TelegramSender;
  /** Sends the broadcast's messages; absent: the broadcast fails non-retryably (CONFIG_INVALID). */
  broadcastSender?: BroadcastSender | undefined;
  /** Messages per second; default {@link DEFAULT_BROADCAST_RATE}. */
  broadcastRatePerSecond?: number | undefined;
}

async function progressOf(db: DatabasePool, broadcast: BroadcastRow): Promise<BroadcastProgress> {
  return { broadcastId: broadcast.id, status: broadcast.status, ...(await countDeliveries(db, broadcast.id)) };
}

async function loadBroadcast(db: DatabasePool, broadcastId: number): Promise<BroadcastRow> {
  const broadcast = await getBroadcast(db, broadcastId);
  if (broadcast === null) throw new RecordNotFoundError('broadcast');
  return broadcast;
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The operator's report of a finished broadcast (plain text). */
export function broadcastReportText(broadcast: BroadcastRow, progress: BroadcastProgress): string {
  const lines = [
    `Broadcast #${broadcast.id} (${broadcast.audience}) ${broadcast.status === 'cancelled' ? 'cancelled' : 'finished'}` +
      (broadcast.finished_at === null ? '' : ` in ${duration(broadcast.finished_at.getTime() - broadcast.created_at.getTime())}`) +
      '.',
    `Recipients: ${progress.total}`,
    `Sent: ${progress.sent}`,
    `Blocked the bot: ${progress.blocked}`,
  ];
  if (progress.failed > 0) lines.push(`Refused by Telegram: ${progress.failed}`);
  if (progress.unknown > 0) lines.push(`Uncertain, not resent (interrupted mid-send): ${progress.unknown}`);
  if (progress.pending > 0) lines.push(`Not sent (cancelled): ${progress.pending}`);
  return lines.join('\n');
}

/** Builds the broadcast activities. */
export function createBroadcastActivities(deps: BroadcastActivityDeps): BroadcastActivities {
  const log = deps.logger.child({ component: 'activity:broadcast' });
  const limiter = createRateLimiter(deps.broadcastRatePerSecond ?? DEFAULT_BROADCAST_RATE);

  return {
    /**
     * Runs {@link CONCURRENCY} senders that each claim the next pending delivery, take a
     * rate-limiter slot, send, and record the outcome, until nothing is pending, the broadcast is no longer
     * running (cancelled), or `maxSeconds` passed. Heartbeats on every send.
     * @throws ApplicationFailure CONFIG_INVALID (no sender), NOT_FOUND; database errors (retryable)
     */
    async sendBroadcastBatch(input) {
      return asActivity(async () => {
        const sender = deps.broadcastSender;
        if (sender === undefined) throw new ConfigError('no broadcast sender configured');
        const broadcast = await loadBroadcast(deps.db, input.broadcastId);
        const deadline = Date.now() + (input.maxSeconds ?? 30) * 1000;
        let exhausted = broadcast.status !== 'running';
        const sendOne = async (): Promise<boolean> => {
          heartbeatIfActivity({ broadcastId: broadcast.id });
          const delivery = await claimNextDelivery(deps.db, broadcast.id);
          if (delivery === null) return false;
          // The slot is taken after the claim, right before the send, so database latency cannot
          // bunch sends up: Telegram sees them spaced by the limiter.
          await limiter.take();
          // Cancelled while this sender waited for its slot (a 429 pause can be long): not sent.
          if (!(await isBroadcastRunning(deps.db, broadcast.id))) {
            await releaseDelivery(deps.db, delivery.id);
            return false;
          }
          const outcome = await sender.send(delivery.chat_id, broadcast.text);
          switch (outcome.kind) {
            case 'rate_limited':
              limiter.pauseFor(outcome.retryAfterSeconds * 1000);
              await releaseDelivery(deps.db, delivery.id);
              log.warn({ broadcastId: broadcast.id, retryAfterSeconds: outcome.retryAfterSeconds }, 'Telegram rate limit: waiting');
              break;
            case 'sent':
            case 'blocked':
              await finishDelivery(deps.db, { deliveryId: delivery.id, status: outcome.kind });
              break;
            case 'failed':
            case 'unknown':
              await finishDelivery(deps.db, { deliveryId: delivery.id, status: outcome.kind, errorCode: outcome.errorCode });
              break;
          }
          return true;
        };
        const worker = async () => {
          while (!exhausted && Date.now() < deadline) {
            if (!(await sendOne())) exhausted = true;
          }
        };
        if (!exhausted) await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        const current = await loadBroadcast(deps.db, broadcast.id);
        const progress = await progressOf(deps.db, current);
        return { done: exhausted || current.status !== 'running' || progress.pending === 0, progress };
      });
    },

    async stopBroadcast(input) {
      return asActivity(async () => {
        await cancelBroadcast(deps.db, { broadcastId: input.broadcastId, actor: { type: 'system', component: 'broadcast-workflow' } });
      });
    },

    async finishBroadcast(input) {
      return asActivity(async () => progressOf(deps.db, await finishBroadcast(deps.db, input.broadcastId)));
    },

    /**
     * Sends the report to the operator who started the broadcast, then marks it reported (a crash
     * between the two may send it twice; a missing report would be worse).
     */
    async reportBroadcast(input) {
      return asActivity(async () => {
        const broadcast = await loadBroadcast(deps.db, input.broadcastId);
        if (broadcast.reported_at !== null) return { reported: false };
        const text = broadcastReportText(broadcast, await progressOf(deps.db, broadcast));
        await deps.telegram.sendText(broadcast.created_by_telegram_id, text);
        await markBroadcastReported(deps.db, broadcast.id);
        log.info({ broadcastId: broadcast.id }, 'broadcast report sent');
        return { reported: true };
      });
    },
  };
}
