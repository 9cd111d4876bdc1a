/**
 * `npm run dev`: the whole system on one machine with no arguments and no .env.
 *
 * Starts embedded Postgres (data in .data/postgres) unless DATABASE_URL is set, applies
 * migrations and the sample data, starts the Temporal dev server with its Web UI (state in
 * .data/temporal.sqlite, so a restart keeps every workflow) unless TEMPORAL_ADDRESS is set,
 * registers the search attributes, then runs the worker, the api and the bot. Ctrl-C stops all.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { z } from 'zod';
import { parseConfig } from '../lib/config/parse-config';
import { cliSearchAttributeType, registerSearchAttributes } from '../lib/temporal/register-search-attributes';
import { migrateUp } from '../sql/migrate-up';
import { seedSampleData } from '../sql/seed-sample-data';
import { SEARCH_ATTRIBUTES } from '../workflows/contract';
import { startTsProcess, type Supervised } from './stack/child-process';
import { ensureDatabase, startEmbeddedPostgres } from './stack/embedded-postgres';
import { waitForPort } from './stack/free-port';
import { createCleanupStack } from './stack/process-group';
import { requireNode24 } from './stack/require-node';
import { ensureTemporalCli } from './stack/temporal-binaries';
import { startTemporalDevServer } from './stack/temporal-dev-server';

requireNode24();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(path.join(root, '.env'))) process.loadEnvFile(path.join(root, '.env'));

/** Variables only the dev launcher reads. */
const devSchema = z.object({
  DATABASE_URL: z.string().optional().describe('Use this Postgres instead of the embedded one'),
  TEMPORAL_ADDRESS: z.string().optional().describe('Use this Temporal instead of the dev server'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  API_PORT: z.coerce.number().int().default(3000),
  DEV_DATA_DIR: z.string().default(path.join(root, '.data')).describe('Where embedded Postgres and Temporal keep data'),
  DEV_POSTGRES_PORT: z.coerce.number().int().default(54329).describe('Port of the embedded Postgres'),
  DEV_TEMPORAL_PORT: z.coerce.number().int().default(7233).describe('gRPC port of the Temporal dev server'),
  DEV_TEMPORAL_UI_PORT: z.coerce.number().int().default(8233).describe('Web UI port of the Temporal dev server'),
  TELEGRAM_BOT_TOKEN: z.string().optional().describe('Real bot token; without it dev runs the fake Telegram'),
  FAKE_TELEGRAM_PORT: z.coerce.number().int().default(8081).describe('Port of the fake Telegram and its chat simulator'),
});
const config = parseConfig(devSchema, process.env);
const log = (line: string) => console.log(`[dev]      ${line}`);
const cleanup = createCleanupStack(log);

async function main(): Promise<void> {
  const started = Date.now();
  await mkdir(config.DEV_DATA_DIR, { recursive: true });
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_PRETTY: process.env.LOG_PRETTY ?? 'true' };

  let databaseUrl = config.DATABASE_URL;
  if (databaseUrl === undefined) {
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(config.DEV_DATA_DIR, 'postgres'), port: config.DEV_POSTGRES_PORT });
    cleanup.push('postgres', () => postgres.stop());
    await ensureDatabase(postgres.adminUrl, 'vless');
    databaseUrl = postgres.urlFor('vless');
    log(`embedded Postgres on 127.0.0.1:${config.DEV_POSTGRES_PORT} (data in ${path.join(config.DEV_DATA_DIR, 'postgres')})`);
  } else {
    log('using DATABASE_URL');
  }
  const applied = await migrateUp(databaseUrl);
  await seedSampleData(databaseUrl);
  log(`migrations: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}; sample data seeded`);
  childEnv.DATABASE_URL = databaseUrl;

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let uiUrl: string | undefined;
  if (temporalAddress === undefined) {
    const cli = await ensureTemporalCli(root);
    log(`Temporal CLI: ${cli.path} (from ${cli.source})`);
    const temporal = await startTemporalDevServer({
      binary: cli.path,
      port: config.DEV_TEMPORAL_PORT,
      uiPort: config.DEV_TEMPORAL_UI_PORT,
      dbFilename: path.join(config.DEV_DATA_DIR, 'temporal.sqlite'),
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, cliSearchAttributeType(key.type)])),
    });
    cleanup.push('temporal', () => temporal.stop());
    temporalAddress = temporal.address;
    uiUrl = temporal.uiUrl;
  } else {
    log(`using TEMPORAL_ADDRESS ${temporalAddress}`);
  }
  const connection = await Connection.connect({ address: temporalAddress });
  const added = await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE, SEARCH_ATTRIBUTES);
  await connection.close();
  log(`search attributes: ${added.length === 0 ? 'all registered' : `added ${added.join(', ')}`}`);
  childEnv.TEMPORAL_ADDRESS = temporalAddress;

  const children: Supervised[] = [];
  const spawnChild = (name: string, entry: string, env: NodeJS.ProcessEnv) => {
    const child = startTsProcess(name, entry, env, root);
    children.push(child);
    cleanup.push(name, () => child.stop());
    void child.exited.then((code) => {
      if (cleanup.stopping) return;
      log(`${name} exited with code ${code}; stopping everything`);
      void cleanup.run().then(() => process.exit(1));
    });
  };
  let simulatorUrl: string | undefined;
  if (config.TELEGRAM_BOT_TOKEN === undefined) {
    const token = '123456:fake-dev-token';
    const fakeEnv = { ...childEnv, FAKE_TELEGRAM_PORT: String(config.FAKE_TELEGRAM_PORT), FAKE_TELEGRAM_TOKEN: token };
    spawnChild('telegram', 'fakes/telegram/main.ts', fakeEnv);
    if (!(await waitForPort('127.0.0.1', config.FAKE_TELEGRAM_PORT, 30_000))) throw new Error('fake Telegram did not start');
    simulatorUrl = `http://127.0.0.1:${config.FAKE_TELEGRAM_PORT}/`;
    childEnv.TELEGRAM_BOT_TOKEN = token;
    childEnv.TELEGRAM_API_ROOT = `http://127.0.0.1:${config.FAKE_TELEGRAM_PORT}`;
    log('no TELEGRAM_BOT_TOKEN: using the fake Telegram Bot API');
  }
  spawnChild('worker', 'workers/main.ts', childEnv);
  spawnChild('api', 'api/main.ts', childEnv);
  spawnChild('bot', 'bot/main.ts', childEnv);

  const apiUp = await waitForPort('127.0.0.1', config.API_PORT, 60_000);
  const ready = apiUp && (await waitForReady(`http://127.0.0.1:${config.API_PORT}/readyz`, 30_000));
  log(ready ? `ready in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'api did not become ready; see the logs above');
  if (uiUrl !== undefined) log(`Temporal Web UI:  ${uiUrl}`);
  log(`api:              http://127.0.0.1:${config.API_PORT}  (/healthz, /readyz)`);
  if (simulatorUrl !== undefined) log(`Telegram chat simulator (fake Bot API): ${simulatorUrl}`);
  log('Ctrl-C stops everything; data stays in .data/');
}

async function waitForReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await cleanup.run();
  process.exit(1);
}
