/**
 * The worker process's composition root: parse config once, build the pool, the Temporal
 * connection and the worker, run until SIGINT/SIGTERM, then close everything in order.
 */
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { createLogger } from '../lib/logger';
import { createPanelResolver } from '../lib/xui/panel-for-server';
import { loadWorkerConfig } from './config';
import { createWorker } from './create-worker';
import { createTemporalRuntimeLogger } from './temporal-runtime-logger';

const config = loadWorkerConfig();
const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }).child({ component: 'worker' });

Runtime.install({
  logger: createTemporalRuntimeLogger(logger),
  telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) } },
});

const db = await createDbPool(config.DATABASE_URL);
const panels = createPanelResolver({
  db,
  secretBox: createSecretBox(config.PANEL_CREDENTIALS_KEY),
  timeoutMs: config.PANEL_TIMEOUT_MS,
  logger: logger.child({ component: 'panel' }),
});
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
try {
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { db, logger, panels, clientIdSalt: config.CLIENT_ID_SALT, publicBaseUrl: config.PUBLIC_BASE_URL },
    shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker started');
  await worker.run();
  logger.info('worker stopped');
} finally {
  await connection.close();
  await db.end();
}
