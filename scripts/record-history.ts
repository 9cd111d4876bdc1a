/**
 * Records a workflow's event history as raw JSON (payloads still encoded) for the replay tests.
 *
 * Usage: npm run record-history -- --workflow-id subscription-42 --out test/histories/name.json
 *        [--address 127.0.0.1:7233] [--namespace default] [--run-id RUN]
 * Defaults come from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE. Record from a closed workflow of the
 * shape you want to protect; commit the file; `npm test` replays it against the current code.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const { values } = parseArgs({
  options: {
    'workflow-id': { type: 'string' },
    'run-id': { type: 'string' },
    out: { type: 'string' },
    address: { type: 'string', default: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
    namespace: { type: 'string', default: process.env.TEMPORAL_NAMESPACE ?? 'default' },
  },
});
const workflowId = values['workflow-id'];
if (workflowId === undefined || values.out === undefined) {
  console.error('usage: record-history --workflow-id ID --out FILE [--run-id RUN] [--address HOST:PORT] [--namespace NS]');
  process.exit(2);
}
const connection = await Connection.connect({ address: values.address });
try {
  const client = new Client({ connection, namespace: values.namespace });
  const history = await client.workflow.getHandle(workflowId, values['run-id']).fetchHistory();
  await writeFile(values.out, `${historyToJSON(history)}\n`);
  console.log(`wrote ${history.events?.length ?? 0} events of ${workflowId} to ${values.out}`);
} finally {
  await connection.close();
}
