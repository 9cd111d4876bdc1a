import { proxyActivities } from '@temporalio/workflow';
import type { StarsReconcileActivities, StarsReconcileResult } from '../activities/contracts/stars-charge-activities';
import { ActivityProfile } from './activity-options';

/** Input of the `stars-reconcile` Schedule's workflow. */
export interface StarsReconcileInput {
  /** A charge is settled by the reconciler once it is this old (the bot's own path had its chance), in seconds. */
  settleAfterSeconds: number;
}

/** Paging the whole list may take a while; the next scheduled run is the real retry. */
const reconciler = proxyActivities<StarsReconcileActivities>({
  ...ActivityProfile.telegram,
  startToCloseTimeout: '5 minutes',
  scheduleToCloseTimeout: '15 minutes',
  retry: { ...ActivityProfile.telegram.retry, maximumAttempts: 3 },
});

/**
 * Run by the `stars-reconcile` Schedule: reads Telegram's getStarTransactions and settles every
 * incoming charge we have no completed payment for, through `stars-charge-{id}`.
 */
export async function starsReconcileWorkflow(input: StarsReconcileInput): Promise<StarsReconcileResult> {
  return reconciler.reconcileStarTransactions({ settleAfterSeconds: input.settleAfterSeconds });
}
