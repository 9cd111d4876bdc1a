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

/** The two histories of one purchase's key path: `payment-{id}`, then the `subscription-{id}` it drove. */
async function keyPathHistories(stack: BenchStack, paymentId: number) {
  const subscriptionId = await stack.db.oneFirst(
    sql.type(z.object({ subscription_id: z.number() }))`SELECT subscription_id FROM payments WHERE id = ${paymentId}`,
  );
  const workflowIds = [paymentWorkflowId(paymentId), subscriptionWorkflowId(subscriptionId)];
  return Promise.all(
    workflowIds.map(async (workflowId) => ({ workflowId, history: await stack.client.workflow.getHandle(workflowId).fetchHistory() })),
  );
}

export async function keyPathCounts(stack: BenchStack, paymentId: number): Promise<KeyPathCounts> {
  let workflowTasks = 0;
  let activities = 0;
  let localActivities = 0;
  const parts: string[] = [];
  for (const { workflowId, history } of await keyPathHistories(stack, paymentId)) {
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

/**
 * When each step of one purchase's key path happened, in ms after the payment workflow was
 * signalled (the webhook's hand-off): workflow tasks (scheduled → started → completed), activities
 * (scheduled → started → completed, with their type) and local-activity markers, in both
 * workflows up to the subscription's first timer wait. Shows where the latency goes.
 */
export async function keyPathTimeline(stack: BenchStack, paymentId: number, webhookAnsweredAtEpochMs?: number): Promise<string> {
  const msOf = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    time == null ? Number.NaN : Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6;
  let origin: number | undefined;
  const parts: string[] = [];
  for (const { workflowId, history } of await keyPathHistories(stack, paymentId)) {
    const steps: string[] = [];
    const activityTypes = new Map<string, string>();
    let pendingSince: number | undefined;
    for (const event of history.events ?? []) {
      const at = msOf(event.eventTime);
      if (origin === undefined) {
        if (event.workflowExecutionSignaledEventAttributes == null) continue;
        origin = at;
        if (webhookAnsweredAtEpochMs !== undefined) steps.push(`webhook answered @${(webhookAnsweredAtEpochMs - at).toFixed(0)}`);
      }
      if (at < origin) continue;
      const rel = (at - origin).toFixed(0);
      const id = String(event.eventId);
      if (event.workflowExecutionSignaledEventAttributes != null)
        steps.push(`signal ${event.workflowExecutionSignaledEventAttributes.signalName ?? ''} @${rel}`);
      else if (event.workflowTaskScheduledEventAttributes != null) pendingSince = at;
      else if (event.workflowTaskStartedEventAttributes != null)
        steps.push(`task +${(at - (pendingSince ?? at)).toFixed(0)} queued @${rel}`);
      else if (event.workflowTaskCompletedEventAttributes != null) steps.push(`task done @${rel}`);
      else if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') steps.push(`local activity`);
      else if (event.activityTaskScheduledEventAttributes != null) {
        activityTypes.set(id, event.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      } else if (event.activityTaskStartedEventAttributes != null) {
        const type = activityTypes.get(String(event.activityTaskStartedEventAttributes.scheduledEventId)) ?? '?';
        steps.push(`${type} started @${rel}`);
      } else if (event.activityTaskCompletedEventAttributes != null) {
        const type = activityTypes.get(String(event.activityTaskCompletedEventAttributes.scheduledEventId)) ?? '?';
        steps.push(`${type} done @${rel}`);
      } else if (event.timerStartedEventAttributes != null && workflowId.startsWith('subscription') && steps.length > 8) break;
    }
    parts.push(`${workflowId}: ${steps.join(', ')}`);
  }
  return parts.join(' | ');
}
