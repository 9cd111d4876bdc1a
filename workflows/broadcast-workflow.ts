import {
  CancellationScope,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
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

  const finish = async (stop: boolean): Promise<BroadcastProgress> => {
    if (stop) await bookkeeping.stopBroadcast({ broadcastId: input.broadcastId });
    progress = await bookkeeping.finishBroadcast({ broadcastId: input.broadcastId });
    await reporting.reportBroadcast({ broadcastId: input.broadcastId });
    return progress;
  };

  try {
    for (;;) {
      if (cancelRequested) return await finish(true);
      const batch = await sending.sendBroadcastBatch({ broadcastId: input.broadcastId, maxSeconds: 30 });
      progress = batch.progress;
      if (batch.done) return await finish(false);
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof broadcastWorkflow>(input);
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    return CancellationScope.nonCancellable(() => finish(true));
  }
}
