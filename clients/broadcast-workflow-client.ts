/** Starts, cancels and asks `broadcast-{id}` workflows (the only code that talks to them). */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { BroadcastProgress } from '../activities/contracts/broadcast-activities';
import { QueryName, SignalName, WorkflowType, broadcastWorkflowId } from '../workflows/contract';
import type { BroadcastWorkflowInput, broadcastWorkflow } from '../workflows/broadcast-workflow';

/**
 * Starts the broadcast's workflow; a second start of the same broadcast joins the first.
 * @idempotency broadcastId (the workflow id)
 */
export async function startBroadcastWorkflow(client: Client, taskQueue: string, broadcastId: number): Promise<void> {
  try {
    await client.workflow.start<typeof broadcastWorkflow>(WorkflowType.broadcast, {
      workflowId: broadcastWorkflowId(broadcastId),
      taskQueue,
      args: [{ broadcastId } satisfies BroadcastWorkflowInput],
      staticSummary: `Broadcast #${broadcastId}`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw error;
  }
}

/** Signals the broadcast to stop; false when its workflow is not running. */
export async function signalCancelBroadcast(client: Client, broadcastId: number): Promise<boolean> {
  try {
    await client.workflow.getHandle(broadcastWorkflowId(broadcastId)).signal(SignalName.cancelBroadcast);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The workflow's progress as of its last batch (null before the first, or when it is gone). */
export async function queryBroadcastProgress(client: Client, broadcastId: number): Promise<BroadcastProgress | null> {
  try {
    return await client.workflow
      .getHandle(broadcastWorkflowId(broadcastId))
      .query<BroadcastProgress | null>(QueryName.getBroadcastProgress);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
