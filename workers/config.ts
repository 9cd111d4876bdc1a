import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { parseConfig } from '../lib/config/parse-config';

/** The worker process's configuration schema. */
export const workerConfigSchema = z.object({
  ...commonFields,
  WORKER_SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .describe('How long running activities get to finish on SIGTERM, in milliseconds'),
});

/** Parsed worker configuration. */
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** Parses the worker's environment once, at start-up. @throws ConfigError */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): Readonly<WorkerConfig> {
  return parseConfig(workerConfigSchema, env);
}
