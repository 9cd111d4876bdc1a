import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** Secrets `npm run dev` makes up once and keeps in its data folder, so restarts reuse them. */
const devSecretsSchema = z.object({
  PANEL_CREDENTIALS_KEY: z.string().min(1),
  CLIENT_ID_SALT: z.string().min(16),
});

/** Dev-only secrets, generated on first start. */
export type DevSecrets = z.infer<typeof devSecretsSchema>;

/**
 * Reads `dev-secrets.json` from the dev data folder, creating it (mode 0600) with fresh random
 * values on first use. Production never uses this: operators set the variables themselves.
 */
export async function loadOrCreateDevSecrets(dataDir: string): Promise<DevSecrets> {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return devSecretsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  const secrets: DevSecrets = {
    PANEL_CREDENTIALS_KEY: randomBytes(32).toString('base64'),
    CLIENT_ID_SALT: randomBytes(24).toString('base64url'),
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
