/**
 * Counts what the key path costs in Temporal from one purchase's histories: workflow tasks
 * completed and activities scheduled (and local-activity markers) in `payment-{id}` and in the
 * `subscription-{id}` it drove, up to the key message (the subscription workflow then sleeps).
 */
import { sql } from 'slonik';
import { z } from 'zod';
import { paymentWorkflowId, subscriptionWorkflowId } from '../../workflows/contract';
import type { BenchStack } from './stack';

/** Counts over both workflows. */
export interface KeyPathCounts {
  workflowTasks: number;
  activities: number;
  localActivities: number;
  /** Per workflow, with the activity types in order. */
  detail: string;
}

export async function keyPathCounts(stack: BenchStack, paymentId: number): Promise<KeyPathCounts> {
  const subscriptionId = await stack.db.oneFirst(
    sql.type(z.object({ subscription_id: z.number() }))`SELECT subscription_id FROM payments WHERE id = ${paymentId}`,
  );
  let workflowTasks = 0;
  let activities = 0;
  let localActivities = 0;
  const parts: string[] = [];
  for (const workflowId of [paymentWorkflowId(paymentId), subscriptionWorkflowId(subscriptionId)]) {
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    let tasks = 0;
    const types: string[] = [];
    let locals = 0;
    for (const event of history.events ?? []) {
      if (event.workflowTaskCompletedEventAttributes != null) tasks += 1;
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled != null) types.push(scheduled.activityType?.name ?? '?');
      if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') locals += 1;
    }
    workflowTasks += tasks;
    activities += types.length;
    localActivities += locals;
    parts.push(`${workflowId}: ${tasks} workflow tasks, ${types.length} activities (${types.join(', ')}), ${locals} local`);
  }
  return { workflowTasks, activities, localActivities, detail: parts.join('; ') };
}
