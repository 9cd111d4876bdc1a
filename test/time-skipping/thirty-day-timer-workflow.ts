import { sleep } from '@temporalio/workflow';

/** Test-only workflow: sleeps 30 days and reports the workflow clock before and after. */
export async function thirtyDayTimerWorkflow(): Promise<{ startedAt: number; wokeAt: number }> {
  const startedAt = Date.now();
  await sleep('30 days');
  return { startedAt, wokeAt: Date.now() };
}
