/**
 * `npm run add-panel` / `node dist/add-panel.js`: the first command for adding a panel, kept for
 * existing deploy notes; `npm run servers -- add` (scripts/servers.ts) is the full replacement
 * (it also tests the panel, lists its inbounds and adds further inbounds of the same panel). This
 * one adds one row without testing the panel, through the same servers service. The secret comes
 * from the environment (PANEL_PASSWORD or PANEL_API_TOKEN), never from the command line.
 *
 * Usage: add-panel --name NL-1 --endpoint nl.example.com:443 --panel-url https://nl.example.com:2053
 *        --inbound-id 1 [--username admin] [--web-base-path /secret] [--location Netherlands] [--max-users 1000]
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { databaseUrl, panelReopenAfterSeconds } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { createServersService } from '../usecases/servers-service';

const config = parseConfig(
  z.object({
    DATABASE_URL: databaseUrl,
    PANEL_CREDENTIALS_KEY: z.string().min(1).describe('Key that encrypts panel secrets (secret)'),
    PANEL_PASSWORD: z.string().min(1).optional().describe("The panel login's password (secret)"),
    PANEL_API_TOKEN: z.string().min(1).optional().describe('The panel API token, 3X-UI v3 (secret)'),
    PANEL_REOPEN_AFTER_SECONDS: panelReopenAfterSeconds,
  }),
  process.env,
);
const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    endpoint: { type: 'string' },
    'panel-url': { type: 'string' },
    'inbound-id': { type: 'string' },
    username: { type: 'string' },
    'web-base-path': { type: 'string', default: '' },
    location: { type: 'string' },
    'max-users': { type: 'string', default: '1000' },
  },
});
const args = z
  .object({
    name: z.string().min(1),
    endpoint: z.string().min(1),
    'panel-url': z.string().min(1),
    'inbound-id': z.coerce.number().int().positive(),
    username: z.string().min(1).optional(),
    'web-base-path': z.string(),
    location: z.string().optional(),
    'max-users': z.coerce.number().int().positive(),
  })
  .parse(values);
const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: 1 });
try {
  const service = createServersService({
    db,
    secretBox: createSecretBox(config.PANEL_CREDENTIALS_KEY),
    panelTimeoutMs: 10_000,
    reopenAfterSeconds: config.PANEL_REOPEN_AFTER_SECONDS,
    actor: { type: 'system', component: 'add-panel' },
  });
  const { server } = await service.add({
    name: args.name,
    access: {
      panelUrl: args['panel-url'],
      webBasePath: args['web-base-path'],
      username: args.username,
      password: config.PANEL_PASSWORD,
      apiToken: config.PANEL_API_TOKEN,
    },
    inboundId: args['inbound-id'],
    endpoint: args.endpoint,
    location: args.location ?? null,
    maxUsers: args['max-users'],
    test: false,
  });
  console.log(
    `server ${server.id} '${server.name}' added; the worker probes it within PANEL_PROBE_INTERVAL_SECONDS (npm run servers -- test ${server.id} tests it now)`,
  );
} finally {
  await db.end();
}
