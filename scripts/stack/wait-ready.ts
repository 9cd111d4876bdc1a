/**
 * Waits the launchers share (npm run dev, the benches, the fault test): an HTTP endpoint that
 * answers 2xx, and a worker polling its task queue.
 */
import type { Connection } from '@temporalio/client';

const POLL_MS = 250;
const pause = () => new Promise((resolve) => setTimeout(resolve, POLL_MS));

/** True once `url` answers 2xx; false after `timeoutMs`. */
export async function waitForReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not up yet
    }
    await pause();
  }
  return false;
}

/** True once a worker polls the workflow task queue (it has bundled the workflows and connected); server errors count as not yet. */
export async function waitForWorkerPolling(
  service: Connection['workflowService'],
  options: { namespace: string; taskQueue: string; timeoutMs: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    try {
      const described = await service.describeTaskQueue({
        namespace: options.namespace,
        taskQueue: { name: options.taskQueue },
        taskQueueType: 1,
      });
      if ((described.pollers ?? []).length > 0) return true;
    } catch {
      // the server is not up yet (or restarting)
    }
    await pause();
  }
  return false;
}
