import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { scanStarTransactions, STAR_TRANSACTIONS_PAGE, type StarsBotApi } from '../lib/payments/stars/star-transactions';
import { parseStarsPayload } from '../lib/payments/stars/stars-payload';
import { startStarsChargeSettlement } from '../clients/stars-charge-workflow-client';
import {
  advanceStarsReconcileOffset,
  getStarsReconcileOffset,
  knownStarsChargeIds,
  listUnsettledStarsCharges,
  recordStarsCharge,
} from '../sql/repositories/stars-charges-repository';
import type { PaymentActivityDeps } from './payment-activities';
import type { StarsReconcileResult } from './contracts/stars-charge-activities';

/** Dependencies of the Stars reconciler's activity. */
export interface StarsReconcileDeps {
  db: DatabasePool;
  logger: Logger;
  starsApi?: StarsBotApi | undefined;
  payments?: PaymentActivityDeps | undefined;
  temporal?: Client | undefined;
}

/** Transactions re-read before the cursor on each pass, in case Telegram lists one late. */
const OVERLAP = STAR_TRANSACTIONS_PAGE;

/**
 * The Stars reconciler: Telegram's transaction list is the source of truth of what users paid.
 * A charge whose `successful_payment` never reached us, or whose store failed, exists only there.
 */
export function createStarsReconcileActivities(deps: StarsReconcileDeps) {
  const log = deps.logger.child({ component: 'activity:stars-reconcile' });
  return {
    /**
     * Reads getStarTransactions from the stored cursor (minus an overlap) to the end, stores every
     * incoming user charge older than `settleAfterSeconds` that we have not stored (recorded_by
     * 'reconciler'; the grace leaves the bot time to store it itself), moves the cursor, then
     * starts `stars-charge-{id}` for every stored charge not settled after `settleAfterSeconds`
     * (a new one, one whose update handler could not start it, one whose last run failed).
     * Charges the list shows refunded already are stored but settle as refunds, never applied twice.
     * @idempotency none needed: storing is by charge id, starting is USE_EXISTING
     * @throws ApplicationFailure CONFIG_INVALID (non-retryable) without the Bot API or Temporal deps
     */
    async reconcileStarTransactions(input: { settleAfterSeconds: number; maxPages?: number }): Promise<StarsReconcileResult> {
      const api = deps.starsApi;
      const client = deps.payments?.temporal.client ?? deps.temporal;
      const taskQueue = deps.payments?.temporal.taskQueue;
      if (api === undefined || client === undefined || taskQueue === undefined) {
        throw ApplicationFailure.nonRetryable('the Telegram Stars API or Temporal is not configured in this worker', 'CONFIG_INVALID');
      }
      const cursor = await getStarsReconcileOffset(deps.db);
      const scan = await scanStarTransactions(api, {
        offset: Math.max(0, cursor - OVERLAP),
        ...(input.maxPages === undefined ? {} : { maxPages: input.maxPages }),
      });
      const settleBefore = new Date(Date.now() - input.settleAfterSeconds * 1000);
      const known = await knownStarsChargeIds(
        deps.db,
        scan.incoming.map((charge) => charge.telegramPaymentChargeId),
      );
      const result: StarsReconcileResult = { pages: scan.pages, incoming: scan.incoming.length, recorded: [], started: [], failed: [] };
      let safeOffset = scan.endOffset;
      for (const charge of scan.incoming) {
        if (known.has(charge.telegramPaymentChargeId)) continue;
        if (charge.date >= settleBefore) {
          // Too fresh: the bot is probably storing it right now. The cursor stays before it.
          safeOffset = Math.min(safeOffset, charge.offset);
          continue;
        }
        const { created, charge: row } = await recordStarsCharge(deps.db, {
          telegramPaymentChargeId: charge.telegramPaymentChargeId,
          telegramUserId: charge.telegramUserId,
          invoicePayload: charge.invoicePayload,
          currency: 'XTR',
          totalAmount: charge.amount,
          raw: { ...charge.raw, ...(scan.refundedIds.has(charge.telegramPaymentChargeId) ? { refunded_in_list: true } : {}) },
          recordedBy: 'reconciler',
          orderId: parseStarsPayload(charge.invoicePayload),
        });
        if (created) result.recorded.push(row.id);
      }
      await advanceStarsReconcileOffset(deps.db, safeOffset);
      if (result.recorded.length > 0)
        log.warn({ recorded: result.recorded }, 'Stars charges found only in getStarTransactions; stored for settlement');

      const unsettled = await listUnsettledStarsCharges(deps.db, { olderThan: settleBefore, limit: 200 });
      const ids = new Set([...result.recorded, ...unsettled.map((charge) => charge.id)]);
      for (const chargeId of ids) {
        try {
          await startStarsChargeSettlement({ client, taskQueue }, chargeId);
          result.started.push(chargeId);
        } catch {
          result.failed.push(chargeId);
        }
      }
      if (result.failed.length > 0) log.warn({ failed: result.failed }, 'some Stars settlements could not be started');
      return result;
    },
  };
}
