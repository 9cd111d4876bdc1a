/**
 * Child-process entry of test/support/worker-stack.ts: runs the production worker (createWorker,
 * every real activity) from the WORKER_STACK_* variables the parent test passes, until SIGTERM or
 * SIGINT (the SDK's own shutdown signals) or until the test kills it. Prints
 * {@link WORKER_PROCESS_READY} once it polls.
 *
 * Usage (from a test, via spawnWorkerProcess): node --import tsx test/support/worker-process.ts
 */
import { createDbPool } from '../../lib/db/create-pool';
import { createWorker } from '../../workers/create-worker';
import { connectWorkerTemporal } from '../../workers/temporal-connection';
import { installQuietRuntime } from './test-temporal';
import { configFromEnv, workerDeps, WORKER_PROCESS_READY } from './worker-stack';

const config = configFromEnv(process.env);
installQuietRuntime();
const db = await createDbPool(config.databaseUrl);
// As production (workers/main.ts): one connection for the Worker and its activities' Client.
const temporal = await connectWorkerTemporal({ address: config.temporalAddress, namespace: 'default' });
try {
  const worker = await createWorker({
    connection: temporal.connection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    deps: workerDeps(config, db, temporal.client),
    shutdownGraceTimeMs: 1_000,
  });
  const running = worker.run();
  console.log(`${WORKER_PROCESS_READY} (pid ${process.pid}, task queue ${config.taskQueue})`);
  await running;
} finally {
  await temporal.close();
  await db.end();
}
