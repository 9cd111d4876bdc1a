/**
 * `npm run db:init` (docker-compose.yml's one-shot `db-init` job): creates or updates the
 * deployment's database roles and databases as the Postgres superuser (sql/provision-roles.ts).
 * Re-runnable; a changed password is applied on the next run.
 */
import { z } from 'zod';
import { databaseUrl } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { provisionRoles } from '../sql/provision-roles';

const secret = (what: string) => z.string().min(16, 'must be at least 16 characters').describe(`Password of the ${what} role (secret)`);
const config = parseConfig(
  z.object({
    POSTGRES_SUPERUSER_URL: databaseUrl.describe('Superuser connection string to the postgres database; only db-init uses it (secret)'),
    TEMPORAL_DB_PASSWORD: secret('temporal'),
    MIGRATOR_DB_PASSWORD: secret('vless_migrator'),
    APP_DB_PASSWORD: secret('vless_app'),
  }),
  process.env,
);
const deadline = Date.now() + 120_000;
for (;;) {
  try {
    const created = await provisionRoles(config.POSTGRES_SUPERUSER_URL, {
      temporal: { role: 'temporal', password: config.TEMPORAL_DB_PASSWORD, databases: ['temporal', 'temporal_visibility'] },
      migrator: { role: 'vless_migrator', password: config.MIGRATOR_DB_PASSWORD },
      app: { role: 'vless_app', password: config.APP_DB_PASSWORD },
      appDatabase: 'vless',
    });
    console.log(`roles ready${created.length > 0 ? `; databases created: ${created.join(', ')}` : ''}`);
    break;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (Date.now() > deadline || (code !== 'ECONNREFUSED' && code !== '57P03' && code !== 'ENOTFOUND')) throw error;
    console.log('waiting for Postgres...');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
