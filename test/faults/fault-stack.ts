/**
 * The real stack of the fault test, each piece its own process so it can be killed: embedded
 * Postgres, the Temporal dev server (SQLite file), the fake 3X-UI panel (state file), the fake
 * Telegram, the sandbox payment provider, the worker and the api, on free ports, all built from
 * the same pieces `npm run dev` uses (scripts/stack/*).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { cliSearchAttributeType } from '../../clients/register-search-attributes';
import { migrateUp } from '../../sql/migrate-up';
import { seedSampleData } from '../../sql/seed-sample-data';
import { SEARCH_ATTRIBUTES } from '../../workflows/contract';
import { ensureDevPanelServer } from '../../scripts/stack/dev-panel';
import { devSandboxEnv } from '../../scripts/stack/dev-payments';
import { ensureDatabase } from '../../scripts/stack/embedded-postgres';
import { freePorts, waitForPort } from '../../scripts/stack/free-port';
import { ensureTemporalCli } from '../../scripts/stack/temporal-binaries';
import { createNodeService, type NodeService } from './node-service';
import { createPostgresService, type PostgresService } from './postgres-service';
import { HARNESS_MARKER, RUN_MARKER } from './run-marker';
import { createTemporalService, type TemporalService } from './temporal-service';

/** Every port the stack listens on, by owner. */
export type StackPorts = Record<
  'postgres' | 'temporal' | 'temporalHttp' | 'temporalMetrics' | 'panel' | 'telegram' | 'sandbox' | 'api',
  number
>;

/** The running stack. */
export interface FaultStack {
  ports: StackPorts;
  databaseUrl: string;
  temporalAddress: string;
  telegramUrl: string;
  sandboxUrl: string;
  sandboxSecret: string;
  taskQueue: string;
  /** The worker's panel-credentials key and client-id salt (made up for this run). */
  panelCredentialsKey: string;
  clientIdSalt: string;
  postgres: PostgresService;
  temporal: TemporalService;
  panel: NodeService;
  worker: NodeService;
  api: NodeService;
  /** Every node service, in start order. */
  services: NodeService[];
}

/** Where the stack keeps its files. */
export interface StackDirs {
  root: string;
  /** Postgres data (must be reachable by the `postgres` user). */
  pgDir: string;
  /** Temporal SQLite, panel state, pid files. */
  stateDir: string;
  logDir: string;
}

/** The intervals of the worker's sweeps, shortened so repairs happen inside the test's bound. */
const WORKER_TIMINGS = {
  PANEL_TIMEOUT_MS: '5000',
  PANEL_PROBE_INTERVAL_SECONDS: '10',
  RECONCILE_INTERVAL_SECONDS: '30',
  PAYMENT_RECONCILE_INTERVAL_SECONDS: '15',
  PAYMENT_RECONCILE_AFTER_MINUTES: '1',
  TRAFFIC_SYNC_INTERVAL_SECONDS: '300',
  PROVISION_DELAY_NOTICE_SECONDS: '30',
  WORKER_SHUTDOWN_GRACE_MS: '5000',
};

/**
 * Starts everything and waits until the api answers /readyz and a worker polls.
 * `onStarted` is called as each piece comes up, so a failure half-way still stops what started.
 */
export async function startFaultStack(input: {
  projectRoot: string;
  dirs: StackDirs;
  runId: string;
  log: (line: string) => void;
  onStarted: (name: string, stop: () => Promise<void>) => void;
}): Promise<FaultStack> {
  const { projectRoot, dirs, log } = input;
  // Every child (and Postgres's backends) inherits the run marker: the leftover check finds them.
  process.env[RUN_MARKER] = input.runId;
  process.env[HARNESS_MARKER] = String(process.pid);
  const allocated = await freePorts(8);
  const [postgresPort, temporalPort, temporalHttp, temporalMetrics, panelPort, telegramPort, sandboxPort, apiPort] = allocated.map(
    (port) => port ?? 0,
  ) as [number, number, number, number, number, number, number, number];
  const ports: StackPorts = {
    postgres: postgresPort,
    temporal: temporalPort,
    temporalHttp,
    temporalMetrics,
    panel: panelPort,
    telegram: telegramPort,
    sandbox: sandboxPort,
    api: apiPort,
  };

  const postgres = createPostgresService({ dataDir: dirs.pgDir, port: ports.postgres, log });
  await postgres.start();
  input.onStarted('postgres', () => postgres.stop());
  await ensureDatabase(postgres.adminUrl, 'vless');
  const databaseUrl = postgres.urlFor('vless');
  await migrateUp(databaseUrl);
  await seedSampleData(databaseUrl);
  log(`postgres on 127.0.0.1:${ports.postgres}, migrated and seeded`);

  const cli = await ensureTemporalCli(projectRoot);
  const temporal = createTemporalService({
    binary: cli.path,
    port: ports.temporal,
    httpPort: ports.temporalHttp,
    metricsPort: ports.temporalMetrics,
    dbFilename: path.join(dirs.stateDir, 'temporal.sqlite'),
    pidFile: path.join(dirs.stateDir, 'temporal.pid'),
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, cliSearchAttributeType(key.type)])),
  });
  await temporal.start();
  input.onStarted('temporal', () => temporal.stop());
  log(`temporal dev server on ${temporal.address} (state in temporal.sqlite)`);

  const taskQueue = 'subscriptions';
  const telegramToken = '123456:fault-test-token';
  const panelCredentialsKey = randomBytes(32).toString('base64');
  const clientIdSalt = randomBytes(24).toString('base64url');
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', LOG_PRETTY: 'false' };
  for (const name of [
    'DATABASE_URL',
    'TEMPORAL_ADDRESS',
    'TELEGRAM_BOT_TOKEN',
    'TELEGRAM_API_ROOT',
    'YOOKASSA_SHOP_ID',
    'YOOKASSA_SECRET_KEY',
    'CRYPTOPAY_TOKEN',
  ])
    delete baseEnv[name];
  const service = (name: string, entry: string, env: NodeJS.ProcessEnv) => {
    const created = createNodeService({
      name,
      entry,
      cwd: projectRoot,
      env: { ...baseEnv, ...env },
      logFile: path.join(dirs.logDir, `${name}.log`),
      log,
    });
    created.start();
    input.onStarted(name, () => created.stop());
    return created;
  };
  const waitUp = async (name: string, port: number) => {
    if (!(await waitForPort('127.0.0.1', port, 60_000)))
      throw new Error(`${name} did not listen on ${port} (see ${path.join(dirs.logDir, `${name}.log`)})`);
  };

  const panel = service('panel', 'fakes/xui-panel/main.ts', {
    FAKE_PANEL_PORT: String(ports.panel),
    FAKE_PANEL_USERNAME: 'admin',
    FAKE_PANEL_PASSWORD: 'admin',
    FAKE_PANEL_STATE_FILE: path.join(dirs.stateDir, 'panel-state.json'),
  });
  await waitUp('panel', ports.panel);
  const server = await ensureDevPanelServer({
    databaseUrl,
    panelUrl: `http://127.0.0.1:${ports.panel}`,
    username: 'admin',
    password: 'admin',
    secretsKey: panelCredentialsKey,
  });
  log(`fake 3X-UI panel on 127.0.0.1:${ports.panel}: server '${server.name}' ${server.action}`);

  const telegram = service('telegram', 'fakes/telegram/main.ts', {
    FAKE_TELEGRAM_PORT: String(ports.telegram),
    FAKE_TELEGRAM_TOKEN: telegramToken,
  });
  const sandbox = devSandboxEnv({ env: {}, apiPort: ports.api, port: ports.sandbox });
  const payments = service('payments', 'fakes/sandbox/main.ts', sandbox.sandbox);
  await waitUp('telegram', ports.telegram);
  await waitUp('payments', ports.sandbox);

  const appEnv: NodeJS.ProcessEnv = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...sandbox.services,
  };
  const worker = service('worker', 'workers/main.ts', {
    ...appEnv,
    ...WORKER_TIMINGS,
    TELEGRAM_BOT_TOKEN: telegramToken,
    TELEGRAM_API_ROOT: `http://127.0.0.1:${ports.telegram}`,
    PANEL_CREDENTIALS_KEY: panelCredentialsKey,
    CLIENT_ID_SALT: clientIdSalt,
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports.api}`,
  });
  const api = service('api', 'api/main.ts', { ...appEnv, API_PORT: String(ports.api), API_HOST: '127.0.0.1' });
  await waitUp('api', ports.api);

  return {
    ports,
    databaseUrl,
    temporalAddress: temporal.address,
    telegramUrl: `http://127.0.0.1:${ports.telegram}`,
    sandboxUrl: sandbox.url,
    sandboxSecret: sandbox.services.SANDBOX_PAY_SECRET ?? '',
    taskQueue,
    panelCredentialsKey,
    clientIdSalt,
    postgres,
    temporal,
    panel,
    worker,
    api,
    services: [panel, telegram, payments, worker, api],
  };
}
