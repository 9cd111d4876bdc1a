/**
 * How the bot and the Stars reconciler hand a stored Stars charge to Temporal: start
 * `stars-charge-{id}`, which settles it (applies it to its order or refunds it) with retries.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowType, starsChargeWorkflowId } from '../workflows/contract';
import type { starsChargeWorkflow } from '../workflows/stars-charge-workflow';

/** Where settlement workflows run. */
export interface StarsChargeWorkflowTarget {
  client: Client;
  taskQueue: string;
}

/**
 * Starts the settlement of charge `chargeId` unless it is running or finished: a running one is
 * left alone (conflict policy USE_EXISTING) and a completed one is not started again (only a
 * failed, timed-out or terminated run is replaced), so callers may call this as often as they like.
 *
 * @throws the client's errors (Temporal unreachable): the charge stays stored and the reconciler starts it
 */
export async function startStarsChargeSettlement(target: StarsChargeWorkflowTarget, chargeId: number): Promise<void> {
  try {
    await target.client.workflow.start<typeof starsChargeWorkflow>(WorkflowType.starsCharge, {
      workflowId: starsChargeWorkflowId(chargeId),
      taskQueue: target.taskQueue,
      args: [{ chargeId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: `Settle Telegram Stars charge ${chargeId}`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw error;
  }
}
