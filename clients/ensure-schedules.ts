/**
 * `ensureSchedules`: the global periodic jobs as Temporal Schedules (not cron, not loops over the
 * database), created when absent and brought in line with the configuration when it changed, on
 * every worker start. Safe to run from several workers at once.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription } from '@temporalio/client';
import type * as Workflows from '../workflows/index';
import { ScheduleId, WorkflowType, type WorkflowTypeName } from '../workflows/contract';

/** What the fleet schedules need from the worker's configuration. */
export interface FleetScheduleSettings {
  /** Task queue the scheduled workflows run on. */
  taskQueue: string;
  /** Panel health probe period, in seconds. */
  panelProbeIntervalSeconds: number;
  /** Seconds a server must stay down before failover, or 'disabled'. */
  failoverAfterSeconds: number | 'disabled';
  /** Seconds a failed-over server must stay up before it is re-opened automatically, or 'disabled' (default). */
  autoReopenAfterSeconds?: number | 'disabled' | undefined;
  /** Traffic sync period, in seconds. */
  trafficSyncIntervalSeconds: number;
  /** Panel reconciler period, in seconds. */
  reconcileIntervalSeconds: number;
  /** Payment reconciler period, in seconds. */
  paymentReconcileIntervalSeconds: number;
  /** A payment pending this long is asked about again, in minutes. */
  paymentReconcileAfterMinutes: number;
  /** The orphan sweep (ORPHAN_SWEEP_*); absent: no orphan-sweep schedule is ensured. */
  orphanSweep?: { intervalSeconds: number; olderThanSeconds: number; limitPerSweep: number } | undefined;
  /** Invariant checker period, in seconds, or 'disabled'; absent = no such schedule is managed. */
  invariantsCheckIntervalSeconds?: number | 'disabled' | undefined;
  /** Telegram Stars reconciler period, in seconds; absent = no stars-reconcile schedule ensured. */
  starsReconcileIntervalSeconds?: number | undefined;
  /** A Stars charge is settled by the reconciler once it is this old, in seconds; default 60. */
  starsSettleAfterSeconds?: number | undefined;
  /**
   * Database backup period, in seconds (BACKUP_INTERVAL_SECONDS), or 'disabled' (no BACKUP_DIR):
   * a schedule an earlier configuration created is deleted; absent = no such schedule is managed.
   */
  backupIntervalSeconds?: number | 'disabled' | undefined;
}

/** One schedule as this code wants it. */
export interface ScheduleDefinition {
  scheduleId: string;
  everySeconds: number;
  workflowType: WorkflowTypeName;
  args: unknown[];
  /** Shown on each started workflow in the UI. */
  summary: string;
  /** Which environment variable sets the period (kept in the schedule's memo). */
  configVariable: string;
}

/** What {@link ensureSchedules} did to one schedule. */
export interface EnsuredSchedule {
  scheduleId: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** A scheduled sweep that hangs is ended after this long; the next one starts fresh. */
const RUN_TIMEOUT = '1 hour';

/** The fleet's schedules for a configuration. */
export function fleetSchedules(settings: FleetScheduleSettings): ScheduleDefinition[] {
  return [
    {
      scheduleId: ScheduleId.panelHealth,
      everySeconds: settings.panelProbeIntervalSeconds,
      workflowType: WorkflowType.panelHealth,
      args: [
        {
          failoverAfterSeconds: settings.failoverAfterSeconds,
          ...(settings.autoReopenAfterSeconds === undefined || settings.autoReopenAfterSeconds === 'disabled'
            ? {}
            : { autoReopenAfterSeconds: settings.autoReopenAfterSeconds }),
        },
      ] satisfies Parameters<typeof Workflows.panelHealthWorkflow>,
      summary: 'Probe every panel; fail over servers down too long',
      configVariable: 'PANEL_PROBE_INTERVAL_SECONDS',
    },
    {
      scheduleId: ScheduleId.trafficSync,
      everySeconds: settings.trafficSyncIntervalSeconds,
      workflowType: WorkflowType.trafficSync,
      args: [] satisfies Parameters<typeof Workflows.trafficSyncWorkflow>,
      summary: 'Copy per-client traffic from every panel',
      configVariable: 'TRAFFIC_SYNC_INTERVAL_SECONDS',
    },
    {
      scheduleId: ScheduleId.panelReconcile,
      everySeconds: settings.reconcileIntervalSeconds,
      workflowType: WorkflowType.panelReconcile,
      args: [] satisfies Parameters<typeof Workflows.panelReconcileWorkflow>,
      summary: 'Reconcile every panel with the database',
      configVariable: 'RECONCILE_INTERVAL_SECONDS',
    },
    {
      scheduleId: ScheduleId.paymentReconcile,
      everySeconds: settings.paymentReconcileIntervalSeconds,
      workflowType: WorkflowType.paymentReconcile,
      args: [{ olderThanMinutes: settings.paymentReconcileAfterMinutes }] satisfies Parameters<typeof Workflows.paymentReconcileWorkflow>,
      summary: 'Ask providers about payments still pending (lost webhooks)',
      configVariable: 'PAYMENT_RECONCILE_INTERVAL_SECONDS',
    },
    ...(settings.orphanSweep === undefined
      ? []
      : [
          {
            scheduleId: ScheduleId.orphanSweep,
            everySeconds: settings.orphanSweep.intervalSeconds,
            workflowType: WorkflowType.orphanSweep,
            args: [
              { olderThanSeconds: settings.orphanSweep.olderThanSeconds, limitPerSweep: settings.orphanSweep.limitPerSweep },
            ] satisfies Parameters<typeof Workflows.orphanSweepWorkflow>,
            summary: 'Repair orphans: unapplied payments, clientless subscriptions, late provider successes',
            configVariable: 'ORPHAN_SWEEP_INTERVAL_SECONDS',
          },
        ]),
    ...(settings.invariantsCheckIntervalSeconds === undefined || settings.invariantsCheckIntervalSeconds === 'disabled'
      ? []
      : [
          {
            scheduleId: ScheduleId.invariantsCheck,
            everySeconds: settings.invariantsCheckIntervalSeconds,
            workflowType: WorkflowType.invariantsCheck,
            args: [{}] satisfies Parameters<typeof Workflows.invariantsCheckWorkflow>,
            summary: 'Check the invariants (payments applied once, live clients, slots, key messages, balances); alert operators',
            configVariable: 'INVARIANTS_CHECK_INTERVAL_SECONDS',
          },
        ]),
    ...(settings.starsReconcileIntervalSeconds === undefined
      ? []
      : [
          {
            scheduleId: ScheduleId.starsReconcile,
            everySeconds: settings.starsReconcileIntervalSeconds,
            workflowType: WorkflowType.starsReconcile,
            args: [{ settleAfterSeconds: settings.starsSettleAfterSeconds ?? 60 }] satisfies Parameters<
              typeof Workflows.starsReconcileWorkflow
            >,
            summary: 'Settle Telegram Stars charges without a completed payment (getStarTransactions)',
            configVariable: 'STARS_RECONCILE_INTERVAL_SECONDS',
          },
        ]),
    ...(settings.backupIntervalSeconds === undefined || settings.backupIntervalSeconds === 'disabled'
      ? []
      : [
          {
            scheduleId: ScheduleId.databaseBackup,
            everySeconds: settings.backupIntervalSeconds,
            workflowType: WorkflowType.databaseBackup,
            args: [] satisfies Parameters<typeof Workflows.databaseBackupWorkflow>,
            summary: 'Dump the database (pg_dump) to BACKUP_DIR, keep the newest BACKUP_KEEP, report to the operators',
            configVariable: 'BACKUP_INTERVAL_SECONDS',
          },
        ]),
  ];
}

function specOf(definition: ScheduleDefinition) {
  return { intervals: [{ every: `${definition.everySeconds}s` }] };
}

function actionOf(definition: ScheduleDefinition, taskQueue: string) {
  return {
    type: 'startWorkflow' as const,
    workflowType: definition.workflowType,
    workflowId: definition.scheduleId,
    taskQueue,
    args: definition.args,
    staticSummary: definition.summary,
    workflowExecutionTimeout: RUN_TIMEOUT,
  };
}

/** Overlap SKIP: a sweep still running when the next is due makes that one be skipped. */
function policiesOf(definition: ScheduleDefinition) {
  return { overlap: 'SKIP' as const, catchupWindow: `${Math.max(definition.everySeconds, 60)}s` };
}

/** Whether the described schedule already does what the definition asks. */
function matches(description: ScheduleDescription, definition: ScheduleDefinition, taskQueue: string): boolean {
  const intervals = description.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    intervals[0]?.every === definition.everySeconds * 1000 &&
    (description.spec.calendars ?? []).length === 0 &&
    description.action.workflowType === definition.workflowType &&
    description.action.taskQueue === taskQueue &&
    description.policies.overlap === 'SKIP' &&
    JSON.stringify(description.action.args ?? []) === JSON.stringify(definition.args)
  );
}

/**
 * Creates each fleet schedule that is absent and updates one whose interval, workflow, arguments,
 * task queue or overlap policy differ from the configuration; an operator's pause (and its note)
 * is kept. Idempotent: a second call with the same settings changes nothing. Two workers racing
 * to create the same schedule both succeed (the loser finds it and compares).
 *
 * @returns what happened to each schedule, in definition order
 * @throws the Temporal client's errors (e.g. the server is unreachable)
 */
export async function ensureSchedules(client: Client, settings: FleetScheduleSettings): Promise<EnsuredSchedule[]> {
  const ensured: EnsuredSchedule[] = [];
  for (const definition of fleetSchedules(settings)) {
    ensured.push({ scheduleId: definition.scheduleId, action: await ensureOne(client, definition, settings.taskQueue) });
  }
  // Turned off: a schedule an earlier configuration created stops.
  if (settings.invariantsCheckIntervalSeconds === 'disabled') await deleteIfPresent(client, ScheduleId.invariantsCheck);
  if (settings.backupIntervalSeconds === 'disabled') await deleteIfPresent(client, ScheduleId.databaseBackup);
  return ensured;
}

async function deleteIfPresent(client: Client, scheduleId: string): Promise<void> {
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
}

async function ensureOne(client: Client, definition: ScheduleDefinition, taskQueue: string): Promise<EnsuredSchedule['action']> {
  const handle = client.schedule.getHandle(definition.scheduleId);
  let description: ScheduleDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    try {
      await client.schedule.create({
        scheduleId: definition.scheduleId,
        spec: specOf(definition),
        action: actionOf(definition, taskQueue),
        policies: policiesOf(definition),
        memo: { job: definition.summary, intervalSetBy: definition.configVariable },
      });
      return 'created';
    } catch (createError) {
      if (!(createError instanceof ScheduleAlreadyRunning)) throw createError;
      description = await handle.describe();
    }
  }
  if (matches(description, definition, taskQueue)) return 'unchanged';
  await handle.update((previous) => ({
    spec: specOf(definition),
    action: actionOf(definition, taskQueue),
    policies: policiesOf(definition),
    state: { paused: previous.state.paused, ...(previous.state.note === undefined ? {} : { note: previous.state.note }) },
  }));
  return 'updated';
}
