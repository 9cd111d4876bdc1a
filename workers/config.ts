import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { baseUrl } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { parseSecretKey } from '../lib/crypto/secret-box';

/** The worker process's configuration schema. */
export const workerConfigSchema = z.object({
  ...commonFields,
  WORKER_SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .describe('How long running activities get to finish on SIGTERM, in milliseconds'),
  PANEL_CREDENTIALS_KEY: z
    .string()
    .refine(isSecretKey, 'must be 32 bytes given as 64 hex characters or base64')
    .describe('Key that encrypts 3X-UI panel passwords and API tokens stored in vpn_servers: 32 bytes as 64 hex characters or base64; another key cannot read the stored secrets (secret)'),
  CLIENT_ID_SALT: z
    .string()
    .min(16, 'must be at least 16 characters')
    .describe('Secret from which 3X-UI client uuids and emails derive; changing it changes the identity of clients not yet recorded (secret, >= 16 characters)'),
  PUBLIC_BASE_URL: baseUrl('http://127.0.0.1:3000').describe(
    'Public base URL of the api; subscription URLs are <PUBLIC_BASE_URL>/sub/<token>',
  ),
  PANEL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Bound on each HTTP exchange with a 3X-UI panel, in milliseconds'),
});

function isSecretKey(text: string): boolean {
  try {
    parseSecretKey(text);
    return true;
  } catch {
    return false;
  }
}

/** Parsed worker configuration. */
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** Parses the worker's environment once, at start-up. @throws ConfigError */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): Readonly<WorkerConfig> {
  return parseConfig(workerConfigSchema, env);
}
