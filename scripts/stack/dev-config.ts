import path from 'node:path';
import { z } from 'zod';

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((value) => value === 'true');

/**
 * Variables the dev launcher reads (the processes it starts read their own). `root` is the
 * project folder, for the default data folder.
 */
export function createDevConfigSchema(root: string) {
  return z.object({
    DATABASE_URL: z.string().optional().describe('Use this Postgres instead of the embedded one'),
    TEMPORAL_ADDRESS: z.string().optional().describe('Use this Temporal instead of the dev server'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('subscriptions'),
    API_PORT: z.coerce.number().int().default(3000),
    DEV_DATA_DIR: z.string().default(path.join(root, '.data')).describe('Where embedded Postgres and Temporal keep data'),
    DEV_POSTGRES_PORT: z.coerce.number().int().default(54329).describe('Port of the embedded Postgres'),
    DEV_TEMPORAL_PORT: z.coerce.number().int().default(7233).describe('gRPC port of the Temporal dev server'),
    DEV_TEMPORAL_UI_PORT: z.coerce.number().int().default(8233).describe('Web UI port of the Temporal dev server'),
    DEV_TEMPORAL_HTTP_PORT: z.coerce.number().int().default(7243).describe('HTTP API port of the Temporal dev server'),
    DEV_TEMPORAL_METRICS_PORT: z.coerce.number().int().default(7244).describe('Metrics port of the Temporal dev server'),
    TELEGRAM_BOT_TOKEN: z.string().optional().describe('Real bot token; without it dev runs the fake Telegram'),
    FAKE_TELEGRAM_PORT: z.coerce.number().int().default(8081).describe('Port of the fake Telegram and its chat simulator'),
    DEV_FAKE_PANEL: flag('true').describe('Start the fake 3X-UI panel and point the sample server at it (never overrides a real panel)'),
    FAKE_PANEL_PORT: z.coerce.number().int().default(2053).describe('Port of the fake 3X-UI panel'),
    SANDBOX_PAY_PORT: z.coerce
      .number()
      .int()
      .default(8090)
      .describe('Port of the sandbox checkout used when no payment provider is configured'),
  });
}
