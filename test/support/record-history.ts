import { writeFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/**
 * With RECORD_HISTORIES=1, writes the workflow's history to test/histories/<name>.json for the
 * replay suite (test/replay); otherwise does nothing. Run the suite that produces a shape with
 * the variable set to refresh its history after an intended workflow change.
 */
export async function maybeRecordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await writeFile(new URL(`../histories/${name}.json`, import.meta.url), `${historyToJSON(history)}\n`);
}
