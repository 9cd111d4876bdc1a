/**
 * `npm run dev`: the whole system on one machine with no arguments and no .env.
 *
 * Starts embedded Postgres (data in .data/postgres) unless DATABASE_URL is set, applies
 * migrations and the sample data, starts the Temporal dev server with its Web UI (state in
 * .data/temporal.sqlite, so a restart keeps every workflow) unless TEMPORAL_ADDRESS is set,
 * registers the search attributes, then runs the worker, the api and the bot. Ctrl-C stops all.
 */
// Must stay the first import: it records the signal listeners before any library adds its own.
import './stack/signal-baseline';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { parseConfig } from '../lib/config/parse-config';
import { cliSearchAttributeType, registerSearchAttributes } from '../clients/register-search-attributes';
import { migrateUp } from '../sql/migrate-up';
import { seedSampleData } from '../sql/seed-sample-data';
import { SEARCH_ATTRIBUTES } from '../workflows/contract';
import { startTsProcess, type Supervised } from './stack/child-process';
import { joinNodeOptions, WORKER_NODE_OPTIONS } from './stack/worker-node-options';
import { createDevConfigSchema } from './stack/dev-config';
import { ensureDevPanelServer } from './stack/dev-panel';
import { hasRealPaymentProvider, devSandboxEnv } from './stack/dev-payments';
import { loadOrCreateDevSecrets } from './stack/dev-secrets';
import { stopStaleProcess } from './stack/stale-process';
import { ensureDatabase, startEmbeddedPostgres } from './stack/embedded-postgres';
import { waitForPort } from './stack/free-port';
import { waitForReady, waitForWorkerPolling } from './stack/wait-ready';
import { createCleanupStack } from './stack/process-group';
import { requireNode24 } from './stack/require-node';
import { ensureTemporalCli } from './stack/temporal-binaries';
import { startTemporalDevServer, WAL_SQLITE_PRAGMAS } from './stack/temporal-dev-server';

requireNode24();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (existsSync(path.join(root, '.env'))) process.loadEnvFile(path.join(root, '.env'));

const config = parseConfig(createDevConfigSchema(root), process.env);
const log = (line: string) => console.log(`[dev]      ${line}`);
const cleanup = createCleanupStack(log);

async function main(): Promise<void> {
  const started = Date.now();
  await mkdir(config.DEV_DATA_DIR, { recursive: true });
  const devSecrets = await loadOrCreateDevSecrets(config.DEV_DATA_DIR);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_PRETTY: process.env.LOG_PRETTY ?? 'true',
    PANEL_CREDENTIALS_KEY: process.env.PANEL_CREDENTIALS_KEY ?? devSecrets.PANEL_CREDENTIALS_KEY,
    CLIENT_ID_SALT: process.env.CLIENT_ID_SALT ?? devSecrets.CLIENT_ID_SALT,
    // Required in production (a forgotten value would put a local address into every /sub link).
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.API_PORT}`,
  };

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
  let databaseUrl = config.DATABASE_URL;
  const temporalPidFile = path.join(config.DEV_DATA_DIR, 'temporal.pid');
  if (await stopStaleProcess(temporalPidFile, config.DEV_DATA_DIR)) log('stopped a stale Temporal dev server left by an earlier run');
  if (databaseUrl === undefined) {
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(config.DEV_DATA_DIR, 'postgres'), port: config.DEV_POSTGRES_PORT });
    cleanup.push('postgres', () => postgres.stop());
    if (postgres.stoppedStale) log('stopped a stale Postgres left by an earlier run');
    await ensureDatabase(postgres.adminUrl, 'vless');
    databaseUrl = postgres.urlFor('vless');
    log(`embedded Postgres on 127.0.0.1:${config.DEV_POSTGRES_PORT} (data in ${postgres.clusterDir})`);
  } else {
    log('using DATABASE_URL');
  }
  const applied = await migrateUp(databaseUrl);
  await seedSampleData(databaseUrl, { sampleServer: true });
  log(`migrations: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}; sample data seeded`);
  childEnv.DATABASE_URL = databaseUrl;

  if (config.DEV_FAKE_PANEL) {
    const panelEnv = {
      ...childEnv,
      FAKE_PANEL_PORT: String(config.FAKE_PANEL_PORT),
      FAKE_PANEL_USERNAME: 'admin',
      FAKE_PANEL_PASSWORD: 'admin',
    };
    spawnChild('panel', 'fakes/xui-panel/main.ts', panelEnv);
    if (!(await waitForPort('127.0.0.1', config.FAKE_PANEL_PORT, 30_000))) throw new Error('fake 3X-UI panel did not start');
    const server = await ensureDevPanelServer({
      databaseUrl,
      panelUrl: `http://127.0.0.1:${config.FAKE_PANEL_PORT}`,
      username: 'admin',
      password: 'admin',
      secretsKey: childEnv.PANEL_CREDENTIALS_KEY ?? devSecrets.PANEL_CREDENTIALS_KEY,
    });
    log(`fake 3X-UI panel on 127.0.0.1:${config.FAKE_PANEL_PORT}: server '${server.name}' ${server.action}`);
  }

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let uiUrl: string | undefined;
  if (temporalAddress === undefined) {
    const cli = await ensureTemporalCli(root);
    log(`Temporal CLI: ${cli.path} (from ${cli.source})`);
    const temporal = await startTemporalDevServer({
      binary: cli.path,
      port: config.DEV_TEMPORAL_PORT,
      uiPort: config.DEV_TEMPORAL_UI_PORT,
      httpPort: config.DEV_TEMPORAL_HTTP_PORT,
      metricsPort: config.DEV_TEMPORAL_METRICS_PORT,
      dbFilename: path.join(config.DEV_DATA_DIR, 'temporal.sqlite'),
      sqlitePragmas: WAL_SQLITE_PRAGMAS,
      pidFile: temporalPidFile,
      namespace: config.TEMPORAL_NAMESPACE,
      // As in production (README, Deployment): activities dispatched eagerly to the worker.
      dynamicConfig: { 'system.enableActivityEagerExecution': true },
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
  let sandboxUrl: string | undefined;
  if (!hasRealPaymentProvider(process.env) && process.env.SANDBOX_PAY_URL === undefined) {
    const sandbox = devSandboxEnv({ env: process.env, apiPort: config.API_PORT, port: config.SANDBOX_PAY_PORT });
    spawnChild('payments', 'fakes/sandbox/main.ts', { ...childEnv, ...sandbox.sandbox });
    if (!(await waitForPort('127.0.0.1', config.SANDBOX_PAY_PORT, 30_000))) throw new Error('sandbox payments did not start');
    Object.assign(childEnv, sandbox.services);
    sandboxUrl = sandbox.url;
    log('no payment provider configured: using the sandbox checkout (card, SBP and crypto go through it)');
  }
  spawnChild('worker', 'workers/main.ts', { ...childEnv, NODE_OPTIONS: joinNodeOptions(WORKER_NODE_OPTIONS, childEnv.NODE_OPTIONS) });
  spawnChild('api', 'api/main.ts', childEnv);
  spawnChild('bot', 'bot/main.ts', childEnv);

  const apiUp = await waitForPort('127.0.0.1', config.API_PORT, 60_000);
  const ready =
    apiUp &&
    (await waitForReady(`http://127.0.0.1:${config.API_PORT}/readyz`, 30_000)) &&
    (await waitForTemporalWorker(temporalAddress, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE));
  log(ready ? `ready in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'api did not become ready; see the logs above');
  if (uiUrl !== undefined) log(`Temporal Web UI:  ${uiUrl}`);
  log(`api:              http://127.0.0.1:${config.API_PORT}  (/healthz, /readyz)`);
  if (simulatorUrl !== undefined) log(`Telegram chat simulator (fake Bot API): ${simulatorUrl}`);
  if (sandboxUrl !== undefined) log(`sandbox checkout: ${sandboxUrl}`);
  log('Ctrl-C stops everything; data stays in .data/');
}

/** True once a worker polls the dev task queue (it has bundled the workflows and connected). */
async function waitForTemporalWorker(address: string, namespace: string, taskQueue: string): Promise<boolean> {
  const connection = await Connection.connect({ address });
  try {
    return await waitForWorkerPolling(connection.workflowService, { namespace, taskQueue, timeoutMs: 60_000 });
  } finally {
    await connection.close();
  }
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await cleanup.run();
  process.exit(1);
}
