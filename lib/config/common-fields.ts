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
  METRICS_PORT: z
    .union([z.literal('disabled'), z.coerce.number().int().min(0).max(65535)])
    .default('disabled')
    .describe(
      "Port of the process's operations endpoint (GET /metrics for Prometheus, GET /healthz), apart from any public port, or 'disabled'",
    ),
};
