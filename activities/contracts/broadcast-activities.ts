/**
 * The contract of the broadcast activities (activities/broadcast-activities.ts); the broadcast
 * workflow proxies them by type only. Nothing here carries the message text or a user's id.
 */

/** Where a broadcast stands: delivery counts by status. */
export interface BroadcastProgress {
  broadcastId: number;
  status: 'running' | 'completed' | 'cancelled';
  /** Recipients snapshotted at the start. */
  total: number;
  /** Not tried yet (a cancelled broadcast leaves these unsent). */
  pending: number;
  /** Claimed and being sent right now. */
  sending: number;
  sent: number;
  /** Telegram answered 403: the user blocked the bot (marked, skipped by later broadcasts). */
  blocked: number;
  /** Telegram refused for another definite reason (e.g. 400 chat not found). */
  failed: number;
  /** Possibly delivered, possibly not (a crash or a network error mid-send); never resent. */
  unknown: number;
}

/** What one batch did. */
export interface BroadcastBatchResult {
  /** Nothing left to claim: every delivery was tried, or the broadcast was cancelled. */
  done: boolean;
  progress: BroadcastProgress;
}

/** The broadcast activities. */
export interface BroadcastActivities {
  /**
   * Sends pending deliveries for up to `maxSeconds`, within the rate limit, each claimed in the
   * database before its sendMessage. @idempotency the claims (a retry sends only what is still pending)
   */
  sendBroadcastBatch(input: { broadcastId: number; maxSeconds?: number }): Promise<BroadcastBatchResult>;
  /** Stops the broadcast (a cancel signal): no delivery is claimed afterwards. @idempotency broadcastId */
  stopBroadcast(input: { broadcastId: number }): Promise<void>;
  /**
   * Ends the broadcast: completed if still running; deliveries left 'sending' by a dead sender become
   * 'unknown' (not resent). @idempotency broadcastId
   */
  finishBroadcast(input: { broadcastId: number }): Promise<BroadcastProgress>;
  /** Sends the final report to the operator who started it, once. @idempotency broadcasts.reported_at */
  reportBroadcast(input: { broadcastId: number }): Promise<{ reported: boolean }>;
}
