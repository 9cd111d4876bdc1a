/**
 * The whole system for one bench run, on free loopback ports and in a fresh folder under
 * os.tmpdir(): embedded Postgres (migrated and seeded), the Temporal dev server (headless, SQLite
 * file so its storage can be measured), the fake 3X-UI panel (child process, so its CPU is its
 * own), the fake Telegram and the sandbox checkout (in this process, so the bench sees every Bot
 * API call as it happens), and the worker, the api and (optionally) the bot as child processes
 * built exactly as `npm run dev` builds them. Everything registered here is stopped by
 * `stack.stop()`, on Ctrl-C and on a crash of any child.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { startFakeTelegram, type FakeTelegram, type RecordedCall } from '../../fakes/telegram';
import { createDbPool, type DatabasePool } from '../../lib/db/create-pool';
import { startSandboxCheckout, type SandboxCheckout } from '../../fakes/sandbox/sandbox-server';
import { cliSearchAttributeType } from '../../clients/register-search-attributes';
import { migrateUp } from '../../sql/migrate-up';
import { seedSampleData } from '../../sql/seed-sample-data';
import { SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { startTsProcess, type Supervised } from '../../scripts/stack/child-process';
import { ensureDevPanelServer } from '../../scripts/stack/dev-panel';
import { ensureDatabase, startEmbeddedPostgres } from '../../scripts/stack/embedded-postgres';
import { freePorts, waitForPort } from '../../scripts/stack/free-port';
import { createCleanupStack, type CleanupStack } from '../../scripts/stack/process-group';
import { ensureTemporalCli } from '../../scripts/stack/temporal-binaries';
import { startTemporalDevServer, WAL_SQLITE_PRAGMAS } from '../../scripts/stack/temporal-dev-server';
import { joinNodeOptions, WORKER_NODE_OPTIONS } from '../../scripts/stack/worker-node-options';
import { waitForReady, waitForWorkerPolling } from '../../scripts/stack/wait-ready';
import { findPid } from './proc';

/** The project folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Which services a bench needs besides Postgres, Temporal and the fakes. */
export interface BenchStackOptions {
  worker?: boolean;
  api?: boolean;
  bot?: boolean;
  /** Extra environment for the worker, the api and the bot (e.g. TRIAL_DAYS). */
  env?: Record<string, string>;
  /** Clients already on the fake panel before the bench starts (FAKE_PANEL_SEED_CLIENTS); default 0. */
  panelClients?: number;
  /** Child log level; default 'error': a warn line per forged webhook would flood the console (production logs at info, so this flatters the api slightly). */
  logLevel?: string;
  /**
   * Where the sandbox checkout posts its webhooks: 'sink' (default; the benches post and time the
   * webhooks themselves) or 'api' (`/webhooks/sandbox` of the stack's api, as `npm run dev` does).
   */
  sandboxWebhooks?: 'sink' | 'api';
  /** Progress lines of the stack; default console.log with a `[bench]` prefix. */
  log?: (line: string) => void;
}

/** A running bench stack. */
export interface BenchStack {
  tmpDir: string;
  databaseUrl: string;
  adminUrl: string;
  db: DatabasePool;
  temporalAddress: string;
  temporalDbFile: string;
  client: Client;
  taskQueue: string;
  telegram: FakeTelegram;
  sandbox: SandboxCheckout;
  sandboxSecret: string;
  apiUrl: string;
  /** Pids of the processes whose CPU the benches report. */
  pids: { worker?: number; api?: number; bot?: number; temporal?: number; postgres?: number; panel?: number };
  /** Calls `listener` for every Bot API call the bot or worker makes (one hook, any number of calls); returns its removal. */
  onBotCall(listener: (call: RecordedCall, at: number) => void): () => void;
  cleanup: CleanupStack;
  stop(): Promise<void>;
}

const benchLog = (line: string) => console.log(`[bench]    ${line}`);

/** Starts the stack; on failure stops what it had started and rethrows. */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const cleanup = createCleanupStack(options.log ?? benchLog);
  try {
    return await build(options, cleanup);
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

async function build(options: BenchStackOptions, cleanup: CleanupStack): Promise<BenchStack> {
  const log = options.log ?? benchLog;
  const started = Date.now();
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'vless-bench-'));
  cleanup.push('temp folder', () => rm(tmpDir, { recursive: true, force: true }));
  // As root, Postgres runs as the `postgres` user, which must be able to enter this folder.
  await chmod(tmpDir, 0o755);
  const [pgPort, temporalPort, httpPort, metricsPort, panelPort, apiPort, sinkPort, telegramPort, sandboxPort] = await freePorts(9);
  if (
    telegramPort === undefined ||
    sandboxPort === undefined ||
    sinkPort === undefined ||
    pgPort === undefined ||
    temporalPort === undefined ||
    panelPort === undefined ||
    apiPort === undefined
  )
    throw new Error('no free ports');

  const postgres = await startEmbeddedPostgres({ dataDir: path.join(tmpDir, 'pg'), port: pgPort, persistent: false });
  cleanup.push('postgres', () => postgres.stop());
  await ensureDatabase(postgres.adminUrl, 'vless');
  const databaseUrl = postgres.urlFor('vless');
  await migrateUp(databaseUrl);
  await seedSampleData(databaseUrl);
  const db = await createDbPool(databaseUrl, { maximumPoolSize: 10 });
  cleanup.push('bench pool', () => db.end());

  const cli = await ensureTemporalCli(ROOT);
  const temporalDbFile = path.join(tmpDir, 'temporal.sqlite');
  const temporal = await startTemporalDevServer({
    binary: cli.path,
    port: temporalPort,
    ...(httpPort === undefined ? {} : { httpPort }),
    ...(metricsPort === undefined ? {} : { metricsPort }),
    dbFilename: temporalDbFile,
    // As `npm run dev` runs it; BENCH_TEMPORAL_WAL=false measures SQLite's default rollback journal.
    ...(process.env['BENCH_TEMPORAL_WAL'] === 'false' ? {} : { sqlitePragmas: WAL_SQLITE_PRAGMAS }),
    // Eager activity dispatch (an activity scheduled by a workflow task goes back to the worker in
    // the task's answer, no poll). A production server needs the same key in its dynamic config.
    // BENCH_TEMPORAL_EAGER=false measures without it.
    dynamicConfig: { 'system.enableActivityEagerExecution': process.env['BENCH_TEMPORAL_EAGER'] !== 'false' },
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, cliSearchAttributeType(key.type)])),
  });
  cleanup.push('temporal', () => temporal.stop());
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.push('temporal client', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = 'subscriptions';

  const telegram = await startFakeTelegram({ token: '123456:fake-bench-token', port: telegramPort });
  cleanup.push('fake telegram', () => telegram.close());
  const listeners: Array<(call: RecordedCall, at: number) => void> = [];
  // waitFor's predicate sees every call as it is recorded; it matches only once the stack stops
  // (a last getMe call ends it, so its timer does not keep a test process alive), so it is a hook.
  let hookEnded = false;
  telegram
    .waitFor((call) => {
      if (hookEnded) return true;
      const at = performance.now();
      for (const listener of listeners) listener(call, at);
      return false;
    }, 2_147_483_647)
    .catch(() => undefined);
  cleanup.push('fake telegram hook', async () => {
    hookEnded = true;
    await (await fetch(`${telegram.apiRoot}/bot${telegram.token}/getMe`)).arrayBuffer();
  });

  // By default the sandbox's own webhooks go to a sink: the benches post (and time) the webhooks themselves.
  const sink = await listen(
    createServer((_request, response) => response.end('{}')),
    sinkPort,
  );
  cleanup.push('webhook sink', () => new Promise<void>((resolve) => sink.close(() => resolve())));
  const sandboxSecret = 'bench-sandbox-secret';
  const sandbox = await startSandboxCheckout({
    secret: sandboxSecret,
    port: sandboxPort,
    webhookUrl: options.sandboxWebhooks === 'api' ? `http://127.0.0.1:${apiPort}/webhooks/sandbox` : `http://127.0.0.1:${sinkPort}/`,
    invoiceTtlMs: 24 * 3_600_000,
  });
  cleanup.push('sandbox', () => sandbox.close());

  const secrets = { PANEL_CREDENTIALS_KEY: randomBytes(32).toString('base64'), CLIENT_ID_SALT: randomBytes(24).toString('base64url') };
  const children: Supervised[] = [];
  const pids: BenchStack['pids'] = {};
  const spawnChild = (name: string, entry: string, env: NodeJS.ProcessEnv) => {
    // BENCH_<NAME>_NODE_OPTIONS (e.g. BENCH_WORKER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof")
    // profiles one child without touching the others.
    // The worker runs with its production heap bound (scripts/stack/worker-node-options.ts).
    const nodeOptions = joinNodeOptions(
      name === 'worker' ? WORKER_NODE_OPTIONS : undefined,
      process.env[`BENCH_${name.toUpperCase()}_NODE_OPTIONS`],
    );
    const child = startTsProcess(name, entry, nodeOptions === '' ? env : { ...env, NODE_OPTIONS: nodeOptions }, ROOT);
    children.push(child);
    cleanup.push(name, () => child.stop(10_000));
    void child.exited.then((code) => {
      if (cleanup.stopping) return;
      log(`${name} exited with code ${code}; stopping everything`);
      void cleanup.run().then(() => process.exit(1));
    });
    return child.child.pid;
  };
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: options.logLevel ?? 'error',
    LOG_PRETTY: 'false',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...secrets,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    SANDBOX_PAY_URL: sandbox.url,
    SANDBOX_PAY_SECRET: sandboxSecret,
    API_PORT: String(apiPort),
    API_HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    // Each synthetic payer gets its own X-Forwarded-For, so the per-IP limiter (5/s) is not what
    // the bench measures; a real provider posts from a handful of addresses.
    TRUST_PROXY: 'true',
    ...options.env,
  };

  pids.panel = spawnChild('panel', 'fakes/xui-panel/main.ts', {
    ...baseEnv,
    FAKE_PANEL_PORT: String(panelPort),
    FAKE_PANEL_USERNAME: 'admin',
    FAKE_PANEL_PASSWORD: 'admin',
    FAKE_PANEL_SEED_CLIENTS: String(options.panelClients ?? 0),
  });
  if (!(await waitForPort('127.0.0.1', panelPort, 60_000))) throw new Error('fake 3X-UI panel did not start');
  await ensureDevPanelServer({
    databaseUrl,
    panelUrl: `http://127.0.0.1:${panelPort}`,
    username: 'admin',
    password: 'admin',
    secretsKey: secrets.PANEL_CREDENTIALS_KEY,
  });

  if (options.worker === true) pids.worker = spawnChild('worker', 'workers/main.ts', baseEnv);
  if (options.api === true) pids.api = spawnChild('api', 'api/main.ts', baseEnv);
  if (options.bot === true) pids.bot = spawnChild('bot', 'bot/main.ts', baseEnv);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  if (options.api === true && !(await waitForReady(`${apiUrl}/readyz`, 90_000))) throw new Error('api did not become ready');
  if (
    options.worker === true &&
    !(await waitForWorkerPolling(client.workflowService, { namespace: 'default', taskQueue, timeoutMs: 120_000 }))
  )
    throw new Error('worker did not poll its task queue');
  pids.temporal = findPid(['start-dev', String(temporalPort)]);
  pids.postgres = findPostmaster(pgPort);
  log(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s (folder ${tmpDir})`);

  return {
    tmpDir,
    databaseUrl,
    adminUrl: postgres.adminUrl,
    db,
    temporalAddress: temporal.address,
    temporalDbFile,
    client,
    taskQueue,
    telegram,
    sandbox,
    sandboxSecret,
    apiUrl,
    pids,
    onBotCall: (listener) => {
      listeners.push(listener);
      return () => void listeners.splice(listeners.indexOf(listener), 1);
    },
    cleanup,
    stop: () => cleanup.run(),
  };
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** The postmaster listening on `port` (its command line names the port after -p). */
function findPostmaster(port: number): number | undefined {
  return findPid(['-p', String(port)]);
}
