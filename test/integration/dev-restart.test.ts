/**
 * `npm run dev` end to end: it reaches ready on the embedded default (Temporal UI answering,
 * /readyz 200, a worker polling), Ctrl-C stops every process it started, and a restart keeps a
 * workflow started before it, together with the database rows.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { freePorts, waitForPort } from '../../scripts/stack/free-port';
import { UserIdAttribute, subscriptionWorkflowId } from '../../workflows/contract';
import { cancelSignal, getStateQuery } from '../../workflows/subscription-messages';
import { DEV_PORT_NAMES } from '../support/dev-ports';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface DevRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDev(env: NodeJS.ProcessEnv): DevRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev.ts'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForOutput(run: DevRun, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (run.child.exitCode !== null) throw new Error(`dev exited early:\n${run.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`dev did not print ${pattern} in time:\n${run.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

type DevPorts = Record<(typeof DEV_PORT_NAMES)[number], number>;

/**
 * Starts dev on freshly chosen free ports and waits for "ready". Other test files run in
 * parallel and may take a port between choosing and binding it; then dev exits with "address
 * already in use" and is started again on new ports (the data folder is what must persist).
 */
async function startDevReady(baseEnv: NodeJS.ProcessEnv): Promise<{ run: DevRun; ports: DevPorts }> {
  for (let attempt = 1; ; attempt += 1) {
    const allocated = await freePorts(DEV_PORT_NAMES.length);
    const ports = Object.fromEntries(DEV_PORT_NAMES.map((name, index) => [name, allocated[index] ?? 0])) as DevPorts;
    const env = { ...baseEnv };
    for (const [name, value] of Object.entries(ports)) env[name] = String(value);
    const run = startDev(env);
    try {
      await waitForOutput(run, /ready in [\d.]+ s/, 180_000);
      return { run, ports };
    } catch (error) {
      if (attempt >= 3 || !/address already in use|EADDRINUSE/.test(run.output())) throw error;
      await run.exited;
    }
  }
}

/** Sends SIGINT to dev's whole process group, as Ctrl-C in a terminal does. */
async function pressCtrlC(run: DevRun): Promise<number | null> {
  if (run.child.pid !== undefined) process.kill(-run.child.pid, 'SIGINT');
  return run.exited;
}

describe('npm run dev', () => {
  let dataDir: string | undefined;
  let running: DevRun | undefined;
  after(async () => {
    // After a failure, stop dev the way a user would, so it stops what it started.
    if (running?.child.exitCode === null && running.child.pid !== undefined) {
      const pid = running.child.pid;
      process.kill(-pid, 'SIGINT');
      const stopped = await Promise.race([
        running.exited.then(() => true),
        new Promise((resolve) => setTimeout(() => resolve(false), 45_000)),
      ]);
      if (!stopped) process.kill(-pid, 'SIGKILL');
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('reaches ready, stops cleanly on Ctrl-C, and a restart keeps a started workflow', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'vless-dev-'));
    // mkdtemp makes a 0700 folder; the postgres OS user must be able to traverse it.
    await chmod(dataDir, 0o755);
    const baseEnv: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_API_ROOT']) delete baseEnv[name];

    let { run, ports } = await startDevReady(baseEnv);
    running = run;
    let databaseUrl = `postgres://postgres:postgres@127.0.0.1:${ports.DEV_POSTGRES_PORT}/vless`;
    assert.equal((await fetch(`http://127.0.0.1:${ports.API_PORT}/readyz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${ports.DEV_TEMPORAL_UI_PORT}/`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${ports.FAKE_TELEGRAM_PORT}/`)).status, 200);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const plans = await db.query('SELECT count(*)::int AS n FROM subscription_plans');
    assert.equal(plans.rows[0].n, 4);
    const user = await db.query("INSERT INTO users (telegram_id, first_name) VALUES (777000, 'Dev') RETURNING id");
    const userId: number = user.rows[0].id;
    const pending = await db.query('INSERT INTO subscriptions (user_id, plan_id) VALUES ($1, 1) RETURNING id', [userId]);
    const subscriptionId: number = pending.rows[0].id;
    await db.end();

    let connection = await Connection.connect({ address: `127.0.0.1:${ports.DEV_TEMPORAL_PORT}` });
    let client = new Client({ connection });
    await client.workflow.start('subscriptionWorkflow', {
      workflowId: subscriptionWorkflowId(subscriptionId),
      taskQueue: 'subscriptions',
      args: [{ subscriptionId, userId, planId: 1 }],
      typedSearchAttributes: [{ key: UserIdAttribute, value: String(userId) }],
    });
    await connection.close();

    assert.ok([0, 130].includes((await pressCtrlC(running)) ?? -1), 'dev did not stop cleanly');
    for (const port of Object.values(ports)) {
      assert.equal(await waitForPort('127.0.0.1', port, 300), false, `port ${port} still open after Ctrl-C`);
    }

    ({ run, ports } = await startDevReady(baseEnv));
    running = run;
    databaseUrl = `postgres://postgres:postgres@127.0.0.1:${ports.DEV_POSTGRES_PORT}/vless`;
    assert.match(running.output(), /migrations: up to date/);
    connection = await Connection.connect({ address: `127.0.0.1:${ports.DEV_TEMPORAL_PORT}` });
    client = new Client({ connection });
    const handle = client.workflow.getHandle(subscriptionWorkflowId(subscriptionId));
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    const restarted = running;
    const state = await handle.query(getStateQuery).catch((error: unknown) => {
      throw new Error(`query failed; dev output:\n${restarted.output().slice(-4000)}`, { cause: error });
    });
    assert.equal(state.phase, 'awaiting_payment');
    await handle.signal(cancelSignal, {});
    const result = await handle.result();
    assert.equal(result.phase, 'cancelled');
    await connection.close();

    const check = new pg.Client({ connectionString: databaseUrl });
    await check.connect();
    const row = await check.query('SELECT status FROM subscriptions WHERE id = $1', [subscriptionId]);
    const audit = await check.query("SELECT action FROM audit_logs WHERE entity_type = 'subscription' AND entity_id = $1 ORDER BY id", [
      subscriptionId,
    ]);
    await check.end();
    assert.equal(row.rows[0].status, 'cancelled', 'the worker started after the restart wrote the cancellation');
    assert.ok(audit.rows.some((entry: { action: string }) => entry.action === 'subscription.cancelled'));
    assert.ok([0, 130].includes((await pressCtrlC(running)) ?? -1), 'dev did not stop cleanly');
  });
});
