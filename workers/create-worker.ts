import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/create-activities';

/** Path of the workflows barrel the worker bundles. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Options for {@link createWorker}. */
export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /**
   * A workflow bundle prebuilt by `npm run build` (dist/workflow-bundle.js); without it the
   * worker bundles workflows/ at start (development, tests).
   */
  workflowBundlePath?: string;
  /** Grace period for running activities on shutdown, in milliseconds. */
  shutdownGraceTimeMs?: number;
  /** Slots and cache sized for the machine (workers/config.ts); SDK defaults when absent. */
  tuning?: WorkerTuning;
  /** Extra Worker options (tests use this for bundles and identity). */
  overrides?: Partial<WorkerOptions>;
}

/** The worker's slots and cache (WORKER_* in workers/config.ts). */
export interface WorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
}

/**
 * Builds the worker: every workflow in workflows/, every activity built from `deps`.
 * The caller runs it (`worker.run()`) and owns the connection and the pool.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath === undefined
      ? { workflowsPath: WORKFLOWS_PATH }
      : { workflowBundle: { codePath: options.workflowBundlePath } }),
    activities: createActivities(options.deps),
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 30_000,
    // One V8 context shared by every cached workflow (the SDK default since 1.11, stated because
    // the cache bound assumes the shared context's footprint per workflow).
    reuseV8Context: true,
    ...options.tuning,
    ...options.overrides,
  });
}
