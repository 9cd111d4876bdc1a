import {
  CancellationScope,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { BroadcastActivities, BroadcastProgress } from '../activities/contracts/broadcast-activities';
import { ActivityProfile } from './activity-options';
import { QueryName, SignalName } from './contract';

/** Input of `broadcast-{id}`: the broadcast row (text and recipients live in the database only). */
export interface BroadcastWorkflowInput {
  broadcastId: number;
}

/** Stops the broadcast: no more deliveries are claimed; it finishes and reports. */
export const cancelBroadcastSignal = defineSignal<[]>(SignalName.cancelBroadcast);
/** Delivery counts as of the last batch (null before the first one ends). */
export const broadcastProgressQuery = defineQuery<BroadcastProgress | null>(QueryName.getBroadcastProgress);

const sending = proxyActivities<BroadcastActivities>(ActivityProfile.broadcast);
const bookkeeping = proxyActivities<BroadcastActivities>(ActivityProfile.database);
const reporting = proxyActivities<BroadcastActivities>(ActivityProfile.telegram);

/**
 * One operator broadcast: batches of throttled sends (activities/broadcast-activities.ts) until no
 * delivery is pending, then finish (deliveries a crash left mid-send become 'unknown', never resent)
 * and report to the operator. Cancel by signal or by cancelling the workflow: the broadcast is
 * stopped in the database, finished and reported all the same. Continues as new when the history
 * grows long (a large audience is many batches).
 */
export async function broadcastWorkflow(input: BroadcastWorkflowInput): Promise<BroadcastProgress> {
  let progress: BroadcastProgress | null = null;
  let cancelRequested = false;
  setHandler(broadcastProgressQuery, () => progress);
  setHandler(cancelBroadcastSignal, () => {
    cancelRequested = true;
  });

  const finish = async (stop: 'no' | 'now' | 'batch-may-run'): Promise<BroadcastProgress> => {
    if (stop !== 'no') await bookkeeping.stopBroadcast({ broadcastId: input.broadcastId });
    // A cancelled workflow does not wait for its batch: let the sends it has in flight end (each
    // is bounded by the 15 s HTTP timeout; no new one starts once the broadcast is stopped) before
    // the leftovers are called unknown.
    if (stop === 'batch-may-run') await sleep('20 seconds');
    progress = await bookkeeping.finishBroadcast({ broadcastId: input.broadcastId });
    await reporting.reportBroadcast({ broadcastId: input.broadcastId });
    return progress;
  };

  try {
    for (;;) {
      if (cancelRequested) return await finish('now');
      const batch = await sending.sendBroadcastBatch({ broadcastId: input.broadcastId, maxSeconds: 30 });
      progress = batch.progress;
      if (batch.done) return await finish('no');
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof broadcastWorkflow>(input);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    return CancellationScope.nonCancellable(() => finish('batch-may-run'));
  }
}
