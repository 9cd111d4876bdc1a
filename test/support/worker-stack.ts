/**
 * A real stack (seeded test database, fake 3X-UI panels, fake Telegram, every real activity on
 * the test Temporal dev server) whose worker can also run in a child process: everything the
 * worker needs is a plain {@link WorkerStackConfig}, passed to the child as environment variables
 * (test/support/worker-process.ts). Unlike real-stack.ts it knows the panel credentials' key, so
 * a test can add more panel servers and a second process can open their boxes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import type { ActivityDeps } from '../../activities/create-activities';
import { createStarsBotApi } from '../../lib/payments/stars/create-stars-bot-api';
import { createTelegramSender } from '../../activities/telegram-sender';
import { createBroadcastSender } from '../../activities/broadcast-sender';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram';
import type { FakePanel } from '../../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../../lib/crypto/secret-box';
import type { DatabasePool } from '../../lib/db/create-pool';
import { createLogger } from '../../lib/logger';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { createWorker } from '../../workers/create-worker';
import { DEFAULT_LIFECYCLE_SETTINGS, type LifecycleSettings } from '../../workflows/subscription-lifecycle';
import { startPanelServer, type PanelServer } from './panel-server';
import { createTestDatabase, type TestDatabase } from './test-database';
import { connectTestTemporal, type TestTemporal } from './test-temporal';

/** Everything a worker of the stack is built from; plain data, so it crosses a process boundary. */
export interface WorkerStackConfig {
  databaseUrl: string;
  /** Key of the panel credentials' secret boxes, 64 hex characters. */
  secretKeyHex: string;
  temporalAddress: string;
  taskQueue: string;
  telegramApiRoot: string;
  telegramToken: string;
  clientIdSalt: string;
  /** Bound on each panel HTTP exchange, in milliseconds. */
  panelTimeoutMs: number;
  /** Overrides of the lifecycle timings new subscription workflows adopt. */
  lifecycle: Partial<LifecycleSettings>;
}

const ENV_NAMES = {
  databaseUrl: 'WORKER_STACK_DATABASE_URL',
  secretKeyHex: 'WORKER_STACK_SECRET_KEY_HEX',
  temporalAddress: 'WORKER_STACK_TEMPORAL_ADDRESS',
  taskQueue: 'WORKER_STACK_TASK_QUEUE',
  telegramApiRoot: 'WORKER_STACK_TELEGRAM_API_ROOT',
  telegramToken: 'WORKER_STACK_TELEGRAM_TOKEN',
  clientIdSalt: 'WORKER_STACK_CLIENT_ID_SALT',
  panelTimeoutMs: 'WORKER_STACK_PANEL_TIMEOUT_MS',
  lifecycle: 'WORKER_STACK_LIFECYCLE_JSON',
} as const satisfies Record<keyof WorkerStackConfig, string>;

/** The config as environment variables for {@link configFromEnv}. */
export function configToEnv(config: WorkerStackConfig): Record<string, string> {
  return {
    [ENV_NAMES.databaseUrl]: config.databaseUrl,
    [ENV_NAMES.secretKeyHex]: config.secretKeyHex,
    [ENV_NAMES.temporalAddress]: config.temporalAddress,
    [ENV_NAMES.taskQueue]: config.taskQueue,
    [ENV_NAMES.telegramApiRoot]: config.telegramApiRoot,
    [ENV_NAMES.telegramToken]: config.telegramToken,
    [ENV_NAMES.clientIdSalt]: config.clientIdSalt,
    [ENV_NAMES.panelTimeoutMs]: String(config.panelTimeoutMs),
    [ENV_NAMES.lifecycle]: JSON.stringify(config.lifecycle),
  };
}

/**
 * Reads the config {@link configToEnv} wrote.
 * @throws Error naming the first missing variable
 */
export function configFromEnv(env: NodeJS.ProcessEnv): WorkerStackConfig {
  const read = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`${name} is not set (the parent test passes it)`);
    return value;
  };
  return {
    databaseUrl: read(ENV_NAMES.databaseUrl),
    secretKeyHex: read(ENV_NAMES.secretKeyHex),
    temporalAddress: read(ENV_NAMES.temporalAddress),
    taskQueue: read(ENV_NAMES.taskQueue),
    telegramApiRoot: read(ENV_NAMES.telegramApiRoot),
    telegramToken: read(ENV_NAMES.telegramToken),
    clientIdSalt: read(ENV_NAMES.clientIdSalt),
    panelTimeoutMs: Number(read(ENV_NAMES.panelTimeoutMs)),
    lifecycle: JSON.parse(read(ENV_NAMES.lifecycle)) as Partial<LifecycleSettings>,
  };
}

/** The activities' dependencies, as production's composition root builds them, from the config. */
export function workerDeps(config: WorkerStackConfig, db: DatabasePool, temporal: Client): ActivityDeps {
  return {
    db,
    logger: createLogger({ level: 'silent' }),
    panels: createPanelResolver({ db, secretBox: createSecretBox(config.secretKeyHex), timeoutMs: config.panelTimeoutMs }),
    clientIdSalt: config.clientIdSalt,
    publicBaseUrl: 'https://vpn.example.com',
    telegram: createTelegramSender({ token: config.telegramToken, apiRoot: config.telegramApiRoot, maxDelaySeconds: 2 }),
    starsApi: createStarsBotApi({ token: config.telegramToken, apiRoot: config.telegramApiRoot }),
    broadcastSender: createBroadcastSender({ token: config.telegramToken, apiRoot: config.telegramApiRoot }),
    referralBonusKopecks: 5000n,
    temporal,
    lifecycle: { ...DEFAULT_LIFECYCLE_SETTINGS, ...config.lifecycle },
  };
}

/** The child process entry that runs a worker from {@link configToEnv}'s variables. */
export const WORKER_PROCESS_ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
/** The line the child prints once its worker polls. */
export const WORKER_PROCESS_READY = 'worker-process: polling';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A worker running in a child process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the child printed so far (for failure messages). */
  output(): string;
  /** Resolves once the worker polls; rejects when the child exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code, or the signal that ended the child. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Sends SIGKILL now (synchronously, so a test can crash the worker at an exact point). */
  kill(): void;
  /** Ends the child at once (SIGKILL): no shutdown, no completed activity, as a crash; resolves once it is gone. */
  crash(): Promise<void>;
}

/** Starts test/support/worker-process.ts in a child process with the stack's config. */
export function spawnWorkerProcess(config: WorkerStackConfig): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_PROCESS_ENTRY], {
    cwd: ROOT,
    env: { ...process.env, ...configToEnv(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  return {
    child,
    output: () => output,
    exited,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(WORKER_PROCESS_READY)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker process exited early:\n${output.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`worker process not polling after ${timeoutMs} ms:\n${output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    kill,
    async crash() {
      kill();
      await exited;
    },
  };
}

export type { PanelServer } from './panel-server';

/** The clients on `server`'s fake panel whose email is `email` (a subscription's client). */
export function clientsOn(server: PanelServer, email: string | null) {
  return server.panel.state.clients().filter(({ client }) => client['email'] === email);
}

/** A running stack for one test file. */
export interface WorkerStack {
  database: TestDatabase;
  temporal: TestTemporal;
  telegram: FakeTelegram;
  /** The first panel server (the only active one at start). */
  first: PanelServer;
  config: WorkerStackConfig;
  /** Activity deps of in-process workers (same config as a child's). */
  deps: ActivityDeps;
  /** Adds an active server backed by a new fake panel. */
  addPanelServer(name: string): Promise<PanelServer>;
  /** Builds (bundles) an in-process worker on the stack's task queue; the caller runs it. */
  createWorker(): Promise<Worker>;
  /** Runs a fresh in-process worker until `body` settles. */
  run<T>(body: () => Promise<T>): Promise<T>;
  /** Starts a worker in a child process; {@link close} kills the ones still running. */
  spawnWorker(): WorkerProcess;
  close(): Promise<void>;
}

const PANEL_PASSWORD = 'pw-0123456789';

/** Builds the stack: the seeded servers are closed, one fake panel server is the only active one. */
export async function startWorkerStack(
  options: { lifecycle?: Partial<LifecycleSettings>; panelTimeoutMs?: number } = {},
): Promise<WorkerStack> {
  const database = await createTestDatabase({ seed: true });
  const temporal = await connectTestTemporal();
  const telegram = await startFakeTelegram();
  const secretKeyHex = randomBytes(32).toString('hex');
  const box = createSecretBox(secretKeyHex);
  const pool = database.pool;
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
  const panels: FakePanel[] = [];
  const children: WorkerProcess[] = [];

  const addPanelServer = async (name: string): Promise<PanelServer> => {
    const made = await startPanelServer(pool, box, {
      name,
      endpoint: `${name.toLowerCase()}.vpn.example.com:443`,
      password: PANEL_PASSWORD,
    });
    panels.push(made.panel);
    return made;
  };

  const first = await addPanelServer('NL-1');
  const config: WorkerStackConfig = {
    databaseUrl: database.url,
    secretKeyHex,
    temporalAddress: temporal.address,
    taskQueue: temporal.uniqueTaskQueue('worker-stack'),
    telegramApiRoot: telegram.apiRoot,
    telegramToken: telegram.token,
    clientIdSalt: 'worker-stack-salt-0123456789',
    panelTimeoutMs: options.panelTimeoutMs ?? 1_000,
    lifecycle: options.lifecycle ?? {},
  };
  const deps = workerDeps(config, pool, temporal.client);
  const build = () =>
    createWorker({
      connection: temporal.nativeConnection,
      namespace: 'default',
      taskQueue: config.taskQueue,
      deps,
      shutdownGraceTimeMs: 1_000,
    });

  return {
    database,
    temporal,
    telegram,
    first,
    config,
    deps,
    addPanelServer,
    createWorker: build,
    run: async (body) => (await build()).runUntil(body),
    spawnWorker: () => {
      const child = spawnWorkerProcess(config);
      children.push(child);
      return child;
    },
    close: async () => {
      await Promise.all(children.map((child) => child.crash()));
      await telegram.close();
      await Promise.all(panels.map((panel) => panel.close()));
      await temporal.close();
      await database.drop();
    },
  };
}
