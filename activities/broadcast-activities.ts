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
import { getUserByTelegramId } from '../sql/repositories/users-repository';
import { pickLocale, type Locale } from '../texts/locale';

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

const REPORT = {
  en: {
    head: (id: number, audience: string, cancelled: boolean) => `Broadcast #${id} (${audience}) ${cancelled ? 'cancelled' : 'finished'}`,
    took: (time: string) => ` in ${time}`,
    seconds: (s: number) => `${s} s`,
    minutes: (m: number, s: number) => `${m} min ${s} s`,
    recipients: 'Recipients',
    sent: 'Sent',
    blocked: 'Blocked the bot',
    failed: 'Refused by Telegram',
    unknown: 'Uncertain, not resent (interrupted mid-send)',
    pending: 'Not sent (cancelled)',
  },
  ru: {
    head: (id: number, audience: string, cancelled: boolean) => `Рассылка #${id} (${audience}) ${cancelled ? 'остановлена' : 'завершена'}`,
    took: (time: string) => ` за ${time}`,
    seconds: (s: number) => `${s} с`,
    minutes: (m: number, s: number) => `${m} мин ${s} с`,
    recipients: 'Получателей',
    sent: 'Отправлено',
    blocked: 'Заблокировали бота',
    failed: 'Отклонено Telegram',
    unknown: 'Неизвестно, не отправлялось повторно (прервано во время отправки)',
    pending: 'Не отправлено (остановлена)',
  },
} as const;

/** The report's language for the operator's stored language: theirs, or English when the bot never saw them. */
export function reportLocale(languageCode: string | null | undefined): Locale {
  return languageCode == null ? 'en' : pickLocale(languageCode);
}

/**
 * The operator's report of a finished broadcast (plain text), in `locale`: the language of the
 * operator who started it (English when the bot has never seen them).
 */
export function broadcastReportText(broadcast: BroadcastRow, progress: BroadcastProgress, locale: Locale = 'en'): string {
  const t = REPORT[locale];
  const seconds =
    broadcast.finished_at === null ? null : Math.round((broadcast.finished_at.getTime() - broadcast.created_at.getTime()) / 1000);
  const lines = [
    t.head(broadcast.id, broadcast.audience, broadcast.status === 'cancelled') +
      (seconds === null ? '' : t.took(seconds < 60 ? t.seconds(seconds) : t.minutes(Math.floor(seconds / 60), seconds % 60))) +
      '.',
    `${t.recipients}: ${progress.total}`,
    `${t.sent}: ${progress.sent}`,
    `${t.blocked}: ${progress.blocked}`,
  ];
  if (progress.failed > 0) lines.push(`${t.failed}: ${progress.failed}`);
  if (progress.unknown > 0) lines.push(`${t.unknown}: ${progress.unknown}`);
  if (progress.pending > 0) lines.push(`${t.pending}: ${progress.pending}`);
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
        const operator = await getUserByTelegramId(deps.db, broadcast.created_by_telegram_id);
        const text = broadcastReportText(broadcast, await progressOf(deps.db, broadcast), reportLocale(operator?.language_code));
        await deps.telegram.sendText(broadcast.created_by_telegram_id, text);
        await markBroadcastReported(deps.db, broadcast.id);
        log.info({ broadcastId: broadcast.id }, 'broadcast report sent');
        return { reported: true };
      });
    },
  };
}
