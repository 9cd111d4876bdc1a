/**
 * An operator's on-demand invariant check: `invariants-request-{requestId}` (the invariants-check
 * workflow without alerts), started once per request and waited for.
 */
import type { Client } from '@temporalio/client';
import { WorkflowType, invariantsRequestWorkflowId } from '../workflows/contract';
import type { invariantsCheckWorkflow } from '../workflows/invariants-workflow';

/** The invariant checker's report (the workflow's result). */
export type InvariantsCheckReport = Awaited<ReturnType<typeof invariantsCheckWorkflow>>;

/** Where the check runs. */
export interface InvariantsWorkflowTarget {
  client: Client;
  taskQueue: string;
}

/** One operator request. */
export interface InvariantsCheckRequest {
  /** e.g. `tg-<update_id>`: a redelivered command joins the run the first one started. */
  requestId: string;
  /** Rows changed this recently are not judged yet, in seconds. */
  settleSeconds: number;
  /** Stop waiting for the report at this time (ms since the epoch); the run goes on regardless. */
  deadline: number;
}

/**
 * Starts (or joins) `invariants-request-{requestId}` and waits for its report until the deadline.
 * @throws WorkflowFailedError when the check failed; the client's deadline error when it took longer
 */
export async function runInvariantsCheck(
  target: InvariantsWorkflowTarget,
  request: InvariantsCheckRequest,
): Promise<InvariantsCheckReport> {
  const handle = await target.client.workflow.start<typeof invariantsCheckWorkflow>(WorkflowType.invariantsCheck, {
    workflowId: invariantsRequestWorkflowId(request.requestId),
    taskQueue: target.taskQueue,
    args: [{ settleSeconds: request.settleSeconds, alert: false }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowExecutionTimeout: '10 minutes',
  });
  return target.client.withDeadline(request.deadline, () => handle.result());
}
