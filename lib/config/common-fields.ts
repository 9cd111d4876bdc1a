import { z } from 'zod';
import { databaseUrl, logLevel, temporalAddress, temporalNamespace, temporalTaskQueue } from './fields';

/** Variables every process (worker, api, bot) reads: database, Temporal and logging. */
export const commonFields = {
  DATABASE_URL: databaseUrl,
  TEMPORAL_ADDRESS: temporalAddress,
  TEMPORAL_NAMESPACE: temporalNamespace,
  TEMPORAL_TASK_QUEUE: temporalTaskQueue,
  LOG_LEVEL: logLevel,
  LOG_PRETTY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Human-readable logs instead of JSON lines'),
};
