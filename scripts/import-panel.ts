/**
 * `npm run import-panel -- --server ID [--dry-run] [--plan-id N] [--no-expiry-days N] [--json]`
 * (`node dist/import-panel.js` in the worker's container): takes the clients already on the
 * inbound a server row sells (made by another bot or by hand) into the product, each as an active
 * subscription until the client's own expiry under its own lifecycle workflow; users are matched
 * by Telegram id (the client's tgId, or an email that is one) or by username. `--dry-run` prints
 * what it would do and changes nothing; running it again imports nothing twice
 * (usecases/import-panel.ts). Needs DATABASE_URL, PANEL_CREDENTIALS_KEY and, without --dry-run,
 * Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE as the worker's).
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { databaseUrl, temporalAddress, temporalNamespace, temporalTaskQueue } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { importPanelClients, type ImportItem } from '../usecases/import-panel';
import { createPanelResolver } from '../usecases/panel-for-server';
import { workerConfigSchema } from '../workers/config';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../workflows/subscription-lifecycle';

const config = parseConfig(
  workerConfigSchema
    .pick({
      LIFECYCLE_REMINDER_OFFSETS_HOURS: true,
      LIFECYCLE_GRACE_HOURS: true,
      AUTO_RENEW_LEAD_HOURS: true,
      PROVISION_DELAY_NOTICE_SECONDS: true,
      PANEL_TIMEOUT_MS: true,
    })
    .extend({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: temporalNamespace,
      TEMPORAL_TASK_QUEUE: temporalTaskQueue,
      PANEL_CREDENTIALS_KEY: z.string().min(1),
    }),
  process.env,
);
const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'plan-id': { type: 'string' },
    'no-expiry-days': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const args = z
  .object({
    server: z.coerce.number().int().positive(),
    'plan-id': z.coerce.number().int().positive().optional(),
    'no-expiry-days': z.coerce.number().int().positive().optional(),
  })
  .parse(values);

function describe(item: ImportItem): string {
  if (item.action === 'skip')
    return `skip    ${item.email}: ${item.reason ?? ''}${item.subscriptionId === undefined ? '' : ` (subscription ${item.subscriptionId})`}`;
  const who = item.newUser === true ? `new user tg ${item.telegramId ?? '?'}` : `user ${item.userId ?? '?'}`;
  const what = item.subscriptionId === undefined ? '' : ` -> subscription ${item.subscriptionId}, workflow ${item.workflow ?? '?'}`;
  return `import  ${item.email}: ${who}, until ${item.endsAt ?? '?'}${what}`;
}

const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: 2 });
const connection = values['dry-run'] ? undefined : await Connection.connect({ address: config.TEMPORAL_ADDRESS });
try {
  const report = await importPanelClients(
    {
      db,
      panels: createPanelResolver({ db, secretBox: createSecretBox(config.PANEL_CREDENTIALS_KEY), timeoutMs: config.PANEL_TIMEOUT_MS }),
      temporal:
        connection === undefined
          ? undefined
          : { client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), taskQueue: config.TEMPORAL_TASK_QUEUE },
      lifecycle: {
        ...DEFAULT_LIFECYCLE_SETTINGS,
        reminderOffsetsHours: config.LIFECYCLE_REMINDER_OFFSETS_HOURS,
        graceHours: config.LIFECYCLE_GRACE_HOURS,
        autoRenewLeadHours: config.AUTO_RENEW_LEAD_HOURS,
        provisionDelayNoticeSeconds: config.PROVISION_DELAY_NOTICE_SECONDS,
      },
      actor: { type: 'system', component: 'import-panel' },
    },
    { serverId: args.server, planId: args['plan-id'], noExpiryDays: args['no-expiry-days'], dryRun: values['dry-run'] },
  );
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const item of report.items) console.log(describe(item));
    console.log(
      `${report.dryRun ? 'dry run: would import' : 'imported'} ${report.imported}, skipped ${report.skipped} ` +
        `(server ${report.serverId}, inbound ${report.inboundId}, renewals at plan ${report.planId})`,
    );
  }
} finally {
  await connection?.close();
  await db.end();
}
