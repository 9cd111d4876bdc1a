/**
 * The api process's composition root: config once, pool, Temporal client connection, fastify.
 * Stops cleanly on SIGINT/SIGTERM (stops accepting, finishes requests, closes pools).
 */
import { Connection } from '@temporalio/client';
import { createDbPool } from '../lib/db/create-pool';
import { createLogger } from '../lib/logger';
import { loadApiConfig } from './config';
import { createApp } from './create-app';
import { postgresCheck, temporalCheck } from './readiness';

const config = loadApiConfig();
const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }).child({ component: 'api' });
const db = await createDbPool(config.DATABASE_URL);
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const app = createApp({
  logger,
  db,
  readinessChecks: { postgres: postgresCheck(db), temporal: temporalCheck(connection) },
});

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping');
  await app.close();
  await connection.close();
  await db.end();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

await app.listen({ port: config.API_PORT, host: config.API_HOST });
