/**
 * Operator broadcasts, as the bot's screens use them: preview (audience size and the text as it
 * will go out), confirm (snapshot the recipients and start `broadcast-{id}`), progress, cancel.
 * Sending, throttling, 429s, blocked users and crash safety are the workflow's
 * (workflows/broadcast-workflow.ts, activities/broadcast-activities.ts).
 */
import type { Client } from '@temporalio/client';
import type { BroadcastProgress } from '../activities/contracts/broadcast-activities';
import type { DatabasePool } from '../lib/db/create-pool';
import { signalCancelBroadcast, startBroadcastWorkflow } from '../clients/broadcast-workflow-client';
import {
  BROADCAST_AUDIENCES,
  cancelBroadcast,
  clearUserBlocked,
  countAudience,
  countDeliveries,
  createBroadcast,
  getBroadcast,
  getRunningBroadcast,
  type BroadcastAudience,
} from '../sql/repositories/broadcast-repository';

export { BROADCAST_AUDIENCES, type BroadcastAudience };

/** Longest broadcast text (Telegram's message limit). */
export const MAX_BROADCAST_TEXT = 4096;

/** Why a broadcast cannot go out (the bot shows a text per reason). */
export type BroadcastRefusal = 'empty_text' | 'text_too_long' | 'no_recipients' | 'busy' | 'unknown_audience';

/** What the operator confirms. */
export interface BroadcastPreview {
  audience: BroadcastAudience;
  /** Users the audience reaches now (users who blocked the bot excluded). */
  recipients: number;
  /** The text exactly as it will be sent (trimmed). */
  text: string;
  /** Set when confirming would be refused. */
  refusal?: BroadcastRefusal;
}

/** Outcome of {@link BroadcastService.startBroadcast}. */
export type BroadcastStart = { kind: 'started'; broadcastId: number; recipients: number } | { kind: 'refused'; reason: BroadcastRefusal };

/** The broadcast service. */
export interface BroadcastService {
  /** Counts the audience and checks the text; sends nothing. */
  previewBroadcast(input: { audience: string; text: string }): Promise<BroadcastPreview>;
  /**
   * Snapshots the recipients and starts the broadcast. A repeat with the same `requestKey` (a
   * double tap, a redelivered update: use `tg-<update_id>`) returns the same broadcast.
   * @throws database and Temporal client errors (a retry with the same requestKey is safe)
   */
  startBroadcast(input: { audience: string; text: string; operatorTelegramId: number; requestKey: string }): Promise<BroadcastStart>;
  /** Delivery counts now (from the database, live), or null for an unknown id. */
  broadcastProgress(broadcastId: number): Promise<BroadcastProgress | null>;
  /** The broadcast running now, if any, with its progress. */
  runningBroadcast(): Promise<BroadcastProgress | null>;
  /** Stops a running broadcast (no new sends from now on) and lets it report. False when it was not running. */
  cancelBroadcast(input: { broadcastId: number; operatorTelegramId: number }): Promise<boolean>;
  /** The user wrote to the bot: reachable again, so later broadcasts include them (clears users.blocked_at). */
  userReachable(userId: number): Promise<void>;
}

function isAudience(value: string): value is BroadcastAudience {
  return (BROADCAST_AUDIENCES as readonly string[]).includes(value);
}

/** Builds the broadcast service. */
export function createBroadcastService(deps: { db: DatabasePool; client: Client; taskQueue: string }): BroadcastService {
  async function progress(broadcastId: number): Promise<BroadcastProgress | null> {
    const broadcast = await getBroadcast(deps.db, broadcastId);
    if (broadcast === null) return null;
    return { broadcastId, status: broadcast.status, ...(await countDeliveries(deps.db, broadcastId)) };
  }

  async function preview(input: { audience: string; text: string }): Promise<BroadcastPreview | BroadcastRefusal> {
    if (!isAudience(input.audience)) return 'unknown_audience';
    const text = input.text.trim();
    const recipients = await countAudience(deps.db, input.audience);
    const refusal: BroadcastRefusal | undefined =
      text === '' ? 'empty_text' : text.length > MAX_BROADCAST_TEXT ? 'text_too_long' : recipients === 0 ? 'no_recipients' : undefined;
    return { audience: input.audience, recipients, text, ...(refusal === undefined ? {} : { refusal }) };
  }

  return {
    async previewBroadcast(input) {
      const result = await preview(input);
      if (typeof result === 'string') return { audience: 'all', recipients: 0, text: input.text.trim(), refusal: result };
      return result;
    },

    async startBroadcast(input) {
      const checked = await preview(input);
      if (typeof checked === 'string') return { kind: 'refused', reason: checked };
      if (checked.refusal !== undefined && checked.refusal !== 'no_recipients') return { kind: 'refused', reason: checked.refusal };
      const created = await createBroadcast(deps.db, {
        audience: checked.audience,
        text: checked.text,
        operatorTelegramId: input.operatorTelegramId,
        requestKey: input.requestKey,
        actor: { type: 'operator', telegramId: input.operatorTelegramId },
      });
      if (created === 'busy') return { kind: 'refused', reason: 'busy' };
      if (created.created && created.recipients === 0) {
        // Nobody to send to: the row is closed at once instead of blocking the next broadcast.
        await cancelBroadcast(deps.db, {
          broadcastId: created.broadcast.id,
          actor: { type: 'operator', telegramId: input.operatorTelegramId },
        });
        return { kind: 'refused', reason: 'no_recipients' };
      }
      await startBroadcastWorkflow(deps.client, deps.taskQueue, created.broadcast.id);
      return { kind: 'started', broadcastId: created.broadcast.id, recipients: created.recipients };
    },

    broadcastProgress: progress,

    async runningBroadcast() {
      const running = await getRunningBroadcast(deps.db);
      return running === null ? null : progress(running.id);
    },

    async cancelBroadcast(input) {
      const stopped = await cancelBroadcast(deps.db, {
        broadcastId: input.broadcastId,
        actor: { type: 'operator', telegramId: input.operatorTelegramId },
      });
      if (stopped) await signalCancelBroadcast(deps.client, input.broadcastId);
      return stopped;
    },

    userReachable: (userId) => clearUserBlocked(deps.db, userId),
  };
}
