/**
 * `npm run add-panel` / `node dist/add-panel.js` (in the worker's container: it has the
 * database URL and PANEL_CREDENTIALS_KEY): adds one 3X-UI panel as a vpn_servers row, its
 * password or API token stored encrypted. The secret comes from the environment (PANEL_PASSWORD
 * or PANEL_API_TOKEN), never from the command line, which other users of the host can read.
 *
 * Usage: add-panel --name NL-1 --endpoint nl.example.com:443 --panel-url https://nl.example.com:2053
 *        --inbound-id 1 [--username admin] [--web-base-path /secret] [--location Netherlands] [--max-users 1000]
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { databaseUrl } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { setServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { createServer } from '../sql/repositories/servers-repository';

const config = parseConfig(
  z.object({
    DATABASE_URL: databaseUrl,
    PANEL_CREDENTIALS_KEY: z.string().min(1).describe('Key that encrypts panel secrets (secret)'),
    PANEL_PASSWORD: z.string().min(1).optional().describe("The panel login's password (secret)"),
    PANEL_API_TOKEN: z.string().min(1).optional().describe('The panel API token, 3X-UI v3 (secret)'),
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
    endpoint: z.string().regex(/^[^\s:/]+:\d+$/, 'must be host:port'),
    'panel-url': z.url({ protocol: /^https?$/ }),
    'inbound-id': z.coerce.number().int().positive(),
    username: z.string().min(1).optional(),
    'web-base-path': z.string().regex(/^(\/[^\s/]+)*$/, "must be '' or /seg[/seg...]"),
    location: z.string().optional(),
    'max-users': z.coerce.number().int().positive(),
  })
  .parse(values);
if (config.PANEL_API_TOKEN === undefined && (config.PANEL_PASSWORD === undefined || args.username === undefined)) {
  throw new Error('give --username with PANEL_PASSWORD, or PANEL_API_TOKEN, in the environment');
}
const actor = { type: 'system', component: 'add-panel' } as const;
const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: 1 });
try {
  const server = await db.transaction(async (tx) => {
    const created = await createServer(tx, {
      name: args.name,
      location: args.location ?? null,
      endpoint: args.endpoint,
      xuiPanelUrl: args['panel-url'].replace(/\/+$/, ''),
      xuiWebBasePath: args['web-base-path'],
      xuiInboundId: args['inbound-id'],
      maxUsers: args['max-users'],
      actor,
    });
    return setServerPanelCredentials(tx, {
      serverId: created.id,
      box: createSecretBox(config.PANEL_CREDENTIALS_KEY),
      username: args.username ?? null,
      password: config.PANEL_PASSWORD ?? null,
      apiToken: config.PANEL_API_TOKEN ?? null,
      actor,
    });
  });
  console.log(`server ${server.id} '${server.name}' added; the worker probes it within PANEL_PROBE_INTERVAL_SECONDS`);
} finally {
  await db.end();
}
