/**
 * `npm run test:faults`: the process-level fault test. Starts the real stack as separate
 * processes (fault-stack.ts), makes FAULT_PURCHASES purchases through the real path (order ->
 * sandbox checkout -> signed webhook -> api -> payment workflow -> subscription workflow -> panel
 * -> Telegram) while the worker is SIGKILLed, Postgres and Temporal are SIGKILLed and started
 * again, and the panel is stopped for minutes (fault-plan.ts); then waits, bounded, until
 * everything settles and checks the invariants, and that no process or port is left behind.
 * Prints the counts and the slowest key, ends with `N passed, N failed`; exit code 1 on any
 * violation. Ctrl-C (or the hard bound) stops everything it started.
 */
// Must stay the first import: it records the signal listeners before any library adds its own.
import '../../scripts/stack/signal-baseline';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { parseConfig } from '../../lib/config/parse-config';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createDbPool, type DatabasePool } from '../../lib/db/create-pool';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { checkInvariants, type InvariantReport } from '../../activities/invariants';
import { waitForPort } from '../../scripts/stack/free-port';
import { createCleanupStack } from '../../scripts/stack/process-group';
import { requireNode24 } from '../../scripts/stack/require-node';
import { waitForWorkerPolling } from '../../scripts/stack/wait-ready';
import { faultConfigSchema } from './fault-config';
import { planFaults, type PlannedFault } from './fault-plan';
import { startFaultStack, type FaultStack } from './fault-stack';
import { createPurchaseDriver, lookForKeys, type Purchase } from './purchase-driver';
import { markedProcesses, stopOrphans } from './run-marker';

requireNode24();
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const config = parseConfig(faultConfigSchema, process.env);
const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const log = (line: string) => console.log(`[faults ${stamp()}] ${line}`);
const cleanup = createCleanupStack(log);
// The cleanup stack reacts to the first signal only; a second Ctrl-C must not end the process in
// the middle of stopping (orphaning Postgres and Temporal). These keep it alive until the cleanup
// has finished (the hard bound still holds). The npm script runs `node --import tsx`, not the tsx
// launcher, whose signal relay SIGKILLs a child that does not acknowledge within 60 ms (a loaded
// machine's event loop can be that slow), skipping the cleanup.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
// Clients torn down while customers are mid-request (Ctrl-C) can throw from their own timers; that
// must not end the run before everything it started is stopped. Outside a stop it fails the run.
const onStray = (error: unknown) => {
  log(`${cleanup.stopping ? 'ignored while stopping' : 'unexpected error'}: ${error instanceof Error ? error.message : String(error)}`);
  if (cleanup.stopping) return;
  console.log('\n0 passed, 1 failed');
  void cleanup.run().then(() => process.exit(1));
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A named pass/fail line of the closing report. */
interface Check {
  name: string;
  ok: boolean;
  detail: string[];
}

/** How long after a payment each worker kill lands, in turn, in milliseconds. */
const KILL_DELAYS_MS = [300, 800, 1500, 2500];
/** Resolvers waiting for the next payment a checkout takes. */
const paymentWaiters: Array<() => void> = [];
const paymentTaken = () => {
  for (const resolve of paymentWaiters.splice(0)) resolve();
};
/** Resolves true at the next payment, false after `timeoutMs`. */
function nextPayment(timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    paymentWaiters.push(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** What was done to the stack. */
const counts = { workerKills: 0, postgresKills: 0, temporalKills: 0, panelStops: 0, restarts: 0 };

async function runFault(stack: FaultStack, fault: PlannedFault): Promise<void> {
  switch (fault.kind) {
    case 'worker-kill': {
      // Aimed at the money path in flight: the kill lands a little after the next payment (the
      // webhook, the payment workflow and the period being applied), each kill at another delay.
      const paid = await nextPayment(15_000);
      const aim = KILL_DELAYS_MS[counts.workerKills % KILL_DELAYS_MS.length] ?? 0;
      await sleep(aim);
      // A kill must hit a running worker: one restarting after a crash of its own is waited for.
      for (let waited = 0; stack.worker.pid === undefined; waited += 250) {
        if (waited > 60_000) throw new Error('no worker process to kill for 60 s');
        await sleep(250);
      }
      log(`fault: SIGKILL worker (pid ${stack.worker.pid}) ${paid ? `${aim} ms after a payment` : 'with no payment in the last 15 s'}`);
      await stack.worker.kill();
      counts.workerKills += 1;
      await sleep(2_000);
      stack.worker.start();
      counts.restarts += 1;
      log(`worker restarted (pid ${stack.worker.pid ?? '?'})`);
      return;
    }
    case 'postgres-kill':
      log('fault: SIGKILL Postgres (postmaster and every backend)');
      await stack.postgres.kill();
      counts.postgresKills += 1;
      await sleep(config.FAULT_POSTGRES_DOWN_SECONDS * 1000);
      await stack.postgres.start();
      counts.restarts += 1;
      log('postgres started again (crash recovery)');
      return;
    case 'temporal-kill':
      log('fault: SIGKILL Temporal dev server');
      await stack.temporal.kill();
      counts.temporalKills += 1;
      await sleep(config.FAULT_TEMPORAL_DOWN_SECONDS * 1000);
      await stack.temporal.start();
      counts.restarts += 1;
      log('temporal dev server started again on the same SQLite file');
      return;
    case 'panel-stop':
      log(`fault: panel stopped for ${config.FAULT_PANEL_DOWN_SECONDS} s`);
      await stack.panel.terminate();
      counts.panelStops += 1;
      return;
    case 'panel-start':
      stack.panel.start();
      counts.restarts += 1;
      log(`panel started again: ${(await waitForPort('127.0.0.1', stack.ports.panel, 30_000)) ? 'listening' : 'NOT listening'}`);
      return;
  }
}

/** Runs each fault at its own time (they may overlap, as outages do); rejects with the first failure. */
async function runFaultPlan(stack: FaultStack, t0: number): Promise<void> {
  const results = await Promise.allSettled(
    planFaults(config).map(async (fault) => {
      await sleep(Math.max(0, t0 + fault.atMs - Date.now()));
      try {
        await runFault(stack, fault);
      } catch (error) {
        log(`fault ${fault.kind} failed: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Customers whose checkout took the money but whose payment row is not completed. */
async function unsettledPaid(db: DatabasePool, purchases: readonly Purchase[]): Promise<Purchase[]> {
  const paid = purchases.filter((purchase) => purchase.paidAt !== undefined && purchase.userId !== undefined);
  const rows = await db.any(sql.type(z.object({ user_id: z.number() }))`
    SELECT DISTINCT user_id FROM payments WHERE status = 'completed' AND user_id = ANY(${sql.array(
      paid.map((purchase) => purchase.userId ?? 0),
      'int4',
    )})`);
  const completed = new Set(rows.map((row) => row.user_id));
  return paid.filter((purchase) => !completed.has(purchase.userId ?? 0));
}

async function activeSubscriptionsPerUser(db: DatabasePool): Promise<Map<number, number>> {
  const rows = await db.any(sql.type(z.object({ user_id: z.number(), n: z.number() }))`
    SELECT user_id, count(*)::int AS n FROM subscriptions WHERE status = 'active' GROUP BY user_id`);
  return new Map(rows.map((row) => [row.user_id, row.n]));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  const runId = randomUUID();
  const orphans = await stopOrphans();
  if (orphans.length > 0)
    log(`stopped ${orphans.length} processes left by an earlier run that died: ${orphans.map((orphan) => orphan.pid).join(', ')}`);
  const root = await mkdtemp(path.join(os.tmpdir(), 'vless-faults-'));
  // mkdtemp makes a 0700 folder; the postgres OS user must be able to traverse it.
  await chmod(root, 0o755);
  const dirs = { root, pgDir: path.join(root, 'pg'), stateDir: path.join(root, 'state'), logDir: path.join(root, 'logs') };
  await Promise.all([mkdir(dirs.stateDir), mkdir(dirs.logDir)]);
  // Data goes whatever happens; the logs stay unless the run passed (see the end of main).
  cleanup.push('files', async () => {
    await rm(dirs.pgDir, { recursive: true, force: true });
    await rm(dirs.stateDir, { recursive: true, force: true });
  });
  log(`run ${runId}: ${config.FAULT_PURCHASES} purchases over ${config.FAULT_WINDOW_SECONDS} s; files in ${root}`);
  const plan = planFaults(config);
  log(`fault plan: ${plan.map((fault) => `${fault.kind}@${seconds(fault.atMs)}`).join(', ')}`);

  const stack = await startFaultStack({ projectRoot, dirs, runId, log, onStarted: (name, stop) => cleanup.push(name, stop) });
  const db = await createDbPool(stack.databaseUrl, { maximumPoolSize: 8, connectionTimeoutMs: 3_000 });
  cleanup.push('harness pool', () => db.end());
  const connection = await Connection.connect({ address: stack.temporalAddress });
  cleanup.push('harness temporal connection', () => connection.close());
  const client = new Client({ connection });
  const panels = createPanelResolver({ db, secretBox: createSecretBox(stack.panelCredentialsKey), timeoutMs: 5_000 });
  if (
    !(await waitForWorkerPolling(client.connection.workflowService, {
      namespace: 'default',
      taskQueue: stack.taskQueue,
      timeoutMs: 180_000,
    }))
  )
    throw new Error(`no worker polls ${stack.taskQueue} (see ${dirs.logDir}/worker.log)`);
  log(`stack ready in ${seconds(Date.now() - started)}; purchases start`);

  const driver = createPurchaseDriver({
    db,
    temporal: client,
    taskQueue: stack.taskQueue,
    sandboxUrl: stack.sandboxUrl,
    sandboxSecret: stack.sandboxSecret,
    log,
    orderBoundMs: 180_000,
    onPaid: paymentTaken,
  });
  const t0 = Date.now();
  const spacing = (config.FAULT_WINDOW_SECONDS * 1000) / config.FAULT_PURCHASES;
  const purchases: Purchase[] = [];
  const buying = Array.from({ length: config.FAULT_PURCHASES }, async (_, index) => {
    await sleep(index * spacing);
    const purchase = await driver.buy(index);
    purchases.push(purchase);
    return purchase;
  });
  let watching = true;
  const watcher = (async () => {
    let lastReport = 0;
    while (watching) {
      await lookForKeys(stack.telegramUrl, purchases);
      if (Date.now() - lastReport > 20_000) {
        lastReport = Date.now();
        const paid = purchases.filter((purchase) => purchase.paidAt !== undefined).length;
        const keys = purchases.filter((purchase) => purchase.keySeenAt !== undefined).length;
        log(`progress: ${purchases.length}/${config.FAULT_PURCHASES} customers done ordering, ${paid} paid, ${keys} keys delivered`);
      }
      await sleep(2_000);
    }
  })();

  let faultError: unknown;
  await runFaultPlan(stack, t0).catch((error: unknown) => (faultError = error));
  await Promise.all(buying);
  const lastActionAt = Date.now();
  log(
    `purchases and faults done in ${seconds(lastActionAt - t0)}; waiting up to ${config.FAULT_SETTLE_SECONDS} s for everything to settle`,
  );

  const settleDeadline = lastActionAt + config.FAULT_SETTLE_SECONDS * 1000;
  let report: InvariantReport | undefined;
  let lost: Purchase[] = [];
  let settledAt: number | undefined;
  let lastSettleReport = Date.now();
  for (;;) {
    await lookForKeys(stack.telegramUrl, purchases);
    try {
      lost = await unsettledPaid(db, purchases);
      // Everything is judged (settle window 0): the loop itself is the wait for work in flight.
      report = await checkInvariants({ db, panels, clientIdSalt: stack.clientIdSalt }, { settleSeconds: 0 });
    } catch (error) {
      log(`check failed to read: ${error instanceof Error ? error.message : String(error)}`);
    }
    const keysMissing = purchases.filter((purchase) => purchase.paidAt !== undefined && purchase.keySeenAt === undefined).length;
    if (report?.ok === true && lost.length === 0 && keysMissing === 0) {
      settledAt = Date.now();
      break;
    }
    if (Date.now() > settleDeadline) break;
    if (Date.now() - lastSettleReport > 20_000) {
      lastSettleReport = Date.now();
      const kinds = new Map<string, number>();
      for (const violation of report?.violations ?? []) kinds.set(violation.kind, (kinds.get(violation.kind) ?? 0) + 1);
      log(
        `not settled yet: ${keysMissing} keys missing, ${lost.length} paid orders not completed, violations ${[...kinds].map(([kind, n]) => `${kind}×${n}`).join(', ') || 'none'}`,
      );
    }
    await sleep(5_000);
  }
  watching = false;
  await watcher;
  log(
    settledAt === undefined
      ? `NOT settled within ${config.FAULT_SETTLE_SECONDS} s`
      : `settled ${seconds(settledAt - lastActionAt)} after the last purchase and fault`,
  );

  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string[] = []) => checks.push({ name, ok, detail });
  const paid = purchases.filter((purchase) => purchase.paidAt !== undefined);
  const gaveUp = purchases.filter((purchase) => purchase.gaveUp !== undefined);
  const plannedKills = plan.filter((fault) => fault.kind === 'worker-kill').length;
  check(
    'every fault of the plan was carried out',
    faultError === undefined &&
      counts.workerKills === plannedKills &&
      counts.postgresKills === 1 &&
      counts.temporalKills === 1 &&
      counts.panelStops === (config.FAULT_PANEL_DOWN_SECONDS > 0 ? 1 : 0),
    faultError === undefined ? [] : [String(faultError)],
  );
  check(
    `every customer could order and pay (${paid.length}/${config.FAULT_PURCHASES})`,
    gaveUp.length === 0,
    gaveUp.map((purchase) => `customer ${purchase.index}: ${purchase.gaveUp ?? ''}`),
  );
  check(
    'every payment the checkout took is completed (none lost)',
    lost.length === 0,
    lost.map(
      (purchase) =>
        `customer ${purchase.index} (user ${purchase.userId ?? '?'}, invoice ${purchase.invoiceId ?? '?'}) paid, payment not completed`,
    ),
  );
  const byKind = (kinds: string[]) =>
    (report?.violations ?? [])
      .filter((violation) => kinds.some((kind) => violation.kind.startsWith(kind)))
      .map((violation) => `${violation.kind}: ${violation.summary}`);
  const checkerRan = report !== undefined;
  check(
    'every completed payment applied exactly once',
    checkerRan && byKind(['payment_']).length === 0,
    checkerRan ? byKind(['payment_']) : ['the checker could not run'],
  );
  check(
    'every active subscription has exactly one live client and holds one slot',
    checkerRan && byKind(['client_', 'slot_', 'panel_', 'subscription_']).length === 0,
    byKind(['client_', 'slot_', 'panel_', 'subscription_']),
  );
  const perUser = await activeSubscriptionsPerUser(db).catch(() => new Map<number, number>());
  const wrongCount = paid.filter((purchase) => perUser.get(purchase.userId ?? 0) !== 1);
  check(
    'every paying customer has exactly one active subscription',
    wrongCount.length === 0,
    wrongCount.map(
      (purchase) => `customer ${purchase.index} (user ${purchase.userId ?? '?'}) has ${perUser.get(purchase.userId ?? 0) ?? 0}`,
    ),
  );
  const noKey = paid.filter((purchase) => purchase.keySeenAt === undefined);
  check('every paying user received the key message in Telegram', noKey.length === 0 && byKind(['key_']).length === 0, [
    ...noKey.map(
      (purchase) => `customer ${purchase.index} (user ${purchase.userId ?? '?'}, telegram ${purchase.telegramId}) has no key message`,
    ),
    ...byKind(['key_']),
  ]);
  check('ledger = balance for every user', checkerRan && byKind(['balance_']).length === 0, byKind(['balance_']));
  const known = ['payment_', 'client_', 'slot_', 'panel_', 'subscription_', 'key_', 'balance_'];
  const other = (report?.violations ?? [])
    .filter((violation) => !known.some((kind) => violation.kind.startsWith(kind)))
    .map((violation) => `${violation.kind}: ${violation.summary}`);
  check('no other invariant violated', other.length === 0 && (report?.omitted ?? 0) === 0, [
    ...other,
    ...((report?.omitted ?? 0) > 0 ? [`${report?.omitted ?? 0} violations left out of the report`] : []),
  ]);

  // Stop everything, then look for anything of this run still alive or listening.
  await cleanup.run();
  const leftovers = await markedProcesses({ runId });
  for (const leftover of leftovers) {
    try {
      process.kill(leftover.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  check(
    'no process left behind',
    leftovers.length === 0,
    leftovers.map((leftover) => `pid ${leftover.pid}: ${leftover.command}`),
  );
  const openPorts: string[] = [];
  for (const [name, port] of Object.entries(stack.ports)) if (await waitForPort('127.0.0.1', port, 200)) openPorts.push(`${name} ${port}`);
  check('no port left open', openPorts.length === 0, openPorts);

  const latencies = paid
    .filter((purchase) => purchase.keySeenAt !== undefined && purchase.paidAt !== undefined)
    .map((purchase) => ({ purchase, ms: (purchase.keySeenAt ?? 0) - (purchase.paidAt ?? 0) }))
    .sort((a, b) => a.ms - b.ms);
  const slowest = latencies.at(-1);
  const median = latencies[Math.floor(latencies.length / 2)];
  const unplanned = stack.services
    .filter((service) => service.unplannedExits > 0)
    .map((service) => `${service.name} ${service.unplannedExits}`);
  const repeatedKeys = paid.filter((purchase) => purchase.keyMessages > 1).length;
  console.log('');
  console.log('fault test results');
  console.log(
    `  purchases:            ${config.FAULT_PURCHASES} customers, ${paid.length} paid, ${gaveUp.length} gave up, ${purchases.reduce((sum, purchase) => sum + purchase.attempts, 0)} order attempts`,
  );
  console.log(
    `  keys delivered:       ${latencies.length}/${paid.length} paying users (${repeatedKeys} got the key message more than once)`,
  );
  console.log(
    `  kills done:           worker SIGKILL ${counts.workerKills}, Postgres SIGKILL ${counts.postgresKills}, Temporal SIGKILL ${counts.temporalKills}, panel stopped ${counts.panelStops} (${config.FAULT_PANEL_DOWN_SECONDS} s)`,
  );
  console.log(
    `  restarts:             ${counts.restarts} planned; unplanned (crashed on their own, restarted): ${unplanned.length === 0 ? 'none' : unplanned.join(', ')}`,
  );
  console.log(
    `  slowest key:          ${slowest === undefined ? 'n/a' : `${seconds(slowest.ms)} (customer ${slowest.purchase.index}, payment -> key message)`}; median ${median === undefined ? 'n/a' : seconds(median.ms)}`,
  );
  console.log(
    `  checked:              ${report === undefined ? 'nothing (checker failed)' : `${report.checked.payments} payments, ${report.checked.activeSubscriptions} active subscriptions, ${report.checked.users} users, ${report.checked.panels} panels`}`,
  );
  console.log(
    `  settled:              ${settledAt === undefined ? `no (bound ${config.FAULT_SETTLE_SECONDS} s)` : `${seconds(settledAt - lastActionAt)} after the last purchase and fault`}; whole run ${seconds(Date.now() - started)}`,
  );
  console.log('');
  for (const entry of checks) {
    console.log(`${entry.ok ? 'ok    ' : 'FAILED'} ${entry.name}`);
    for (const line of entry.detail.slice(0, 20)) console.log(`         ${line}`);
    if (entry.detail.length > 20) console.log(`         ... and ${entry.detail.length - 20} more`);
  }
  const failed = checks.filter((entry) => !entry.ok).length;
  if (failed > 0 || config.FAULT_KEEP_LOGS) console.log(`process logs: ${dirs.logDir}`);
  else await rm(root, { recursive: true, force: true });
  console.log(`\n${checks.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

const hardStop = setTimeout(() => {
  log(`hard bound of ${config.FAULT_TIMEOUT_SECONDS} s reached: stopping everything`);
  console.log('\n0 passed, 1 failed');
  void cleanup.run().then(() => process.exit(1));
}, config.FAULT_TIMEOUT_SECONDS * 1000);
hardStop.unref();

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  console.log('\n0 passed, 1 failed');
} finally {
  await cleanup.run();
}
process.exit(exitCode);
