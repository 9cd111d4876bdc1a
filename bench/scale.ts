/**
 * bench scale: `--count` (default 10 000) live subscriptions started as fast as the system takes
 * them through the trial path the bot uses (createTrialService: pending subscription + signal-with-
 * start of `subscription-{id}` with trialGranted), `--concurrency` (default 32) at once. Reports
 * the start rate, how fast keys arrive (first and last tenth: provisioning must not slow down as the
 * panel fills), worker RSS (sampled each second), and Temporal (SQLite file) and Postgres
 * (pg_database_size) storage per subscription. Keys still missing `--drain` seconds (default 300)
 * after the last start are reported.
 *
 * Timers: each trial lasts `--period-seconds` (default 300; plus up to `--spread-seconds`, default 0,
 * spread evenly over the trials; the trialGranted signal's `seconds`, the
 * same workflow and activities as a 3-day trial), with LIFECYCLE_GRACE_HOURS=0, so every
 * subscription's expiry timer fires during the run. Lateness = the 'subscription.expired' audit row's
 * time (markExpired's transaction, run by the timer's workflow task) minus the row's end_date.
 */
import { statSync } from 'node:fs';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTrialService } from '../usecases/start-trial';
import { createUsers, mapConcurrent } from './lib/fixtures';
import { cpuBetween, rssMiB, sampleCpu } from './lib/proc';
import { startBenchStack, type BenchStack } from './lib/stack';
import { percentile, type Metric } from './lib/stats';
import type { BenchOutcome } from './lib/results';

function temporalBytes(stack: BenchStack): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(stack.temporalDbFile + suffix).size;
    } catch {
      // not there
    }
  }
  return total;
}

async function postgresBytes(stack: BenchStack): Promise<number> {
  return stack.db.oneFirst(sql.type(z.object({ size: z.coerce.number() }))`SELECT pg_database_size(current_database()) AS size`);
}

async function countExpired(stack: BenchStack): Promise<number> {
  return stack.db.oneFirst(
    sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'subscription.expired'`,
  );
}

/** Milliseconds each expiry ran after its end: the audit row of markExpired minus end_date. */
async function expiryLateness(stack: BenchStack): Promise<number[]> {
  const rows = await stack.db.anyFirst(sql.type(z.object({ late: z.coerce.number() }))`
    SELECT extract(epoch FROM (a.created_at - s.end_date)) * 1000 AS late
    FROM audit_logs a JOIN subscriptions s ON s.id = a.entity_id
    WHERE a.action = 'subscription.expired' AND a.entity_type = 'subscription'
  `);
  return [...rows];
}

export async function benchScale(numbers: Record<string, number>): Promise<BenchOutcome> {
  const count = numbers['count'] ?? 10_000;
  const concurrency = numbers['concurrency'] ?? 32;
  const drainSeconds = numbers['drain'] ?? 300;
  const periodSeconds = numbers['period-seconds'] ?? 300;
  // Trials end spread evenly over this many seconds after the period (0: all at once, the worst
  // burst), so the expiry rate can be held below what the worker processes: a month's expiries
  // are spread out too.
  const spreadSeconds = numbers['spread-seconds'] ?? 0;
  const stack = await startBenchStack({ worker: true, panelClients: numbers['panel-clients'] ?? 0, env: { LIFECYCLE_GRACE_HOURS: '0' } });
  const notes: string[] = [];
  let rssMax = 0;
  const sampler = setInterval(() => {
    const rss = stack.pids.worker === undefined ? null : rssMiB(stack.pids.worker);
    if (rss !== null) rssMax = Math.max(rssMax, rss);
  }, 1000);
  try {
    const trialLasting = (seconds: number) =>
      createTrialService({ db: stack.db, client: stack.client, taskQueue: stack.taskQueue, trialDays: 3, trialSeconds: seconds });
    // The dev server row holds 1,000 clients (the default capacity): room for every trial, as an
    // operator would give it (`npm run servers -- edit ID --max-users N`). Without it a bench of
    // more than 1,000 stalls at 1,000 keys, the rest waiting for a slot.
    await stack.db.query(sql.unsafe`UPDATE vpn_servers SET max_users = GREATEST(max_users, current_users + ${count})`);
    const users = await createUsers(stack, 6_000_000_000, count);
    const keyAt = new Map<number, number>();
    stack.onBotCall((call, at) => {
      if (call.method === 'sendPhoto' && call.ok && call.chatId !== undefined && !keyAt.has(call.chatId)) keyAt.set(call.chatId, at);
    });
    const processes = { worker: stack.pids.worker, temporal: stack.pids.temporal, postgres: stack.pids.postgres, panel: stack.pids.panel };
    const cpuBefore = sampleCpu(processes);
    const temporalBefore = temporalBytes(stack);
    const postgresBefore = await postgresBytes(stack);
    let failed = 0;
    const start = performance.now();
    await mapConcurrent(users, concurrency, async (user, index) => {
      try {
        const trial = trialLasting(periodSeconds + Math.floor((index * spreadSeconds) / count));
        const result = await trial.startTrial({ userId: user.id });
        if (result.kind !== 'started') failed += 1;
      } catch {
        failed += 1;
      }
    });
    const startSeconds = (performance.now() - start) / 1000;
    console.log(`[bench]    ${count} trials started in ${startSeconds.toFixed(1)} s (${failed} failed); waiting for keys`);
    const deadline = performance.now() + drainSeconds * 1000;
    let lastReport = performance.now();
    while (keyAt.size < count - failed && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        console.log(`[bench]    keys ${keyAt.size}/${count}; worker RSS max ${rssMax.toFixed(0)} MiB`);
      }
    }
    // Every expiry is due periodSeconds after its trial began; wait for the last one (bounded).
    const expiryDeadline = performance.now() + (periodSeconds + spreadSeconds + 60) * 1000;
    let expired = await countExpired(stack);
    while (expired < count - failed && performance.now() < expiryDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expired = await countExpired(stack);
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        console.log(`[bench]    expired ${expired}/${count}; worker RSS max ${rssMax.toFixed(0)} MiB`);
      }
    }
    const lateness = await expiryLateness(stack);
    const cpu = cpuBetween(cpuBefore, sampleCpu(processes));
    const wall = (performance.now() - start) / 1000;
    const times = [...keyAt.values()].sort((a, b) => a - b);
    const tenth = Math.max(2, Math.floor(times.length / 10));
    const rateOf = (slice: number[]) =>
      slice.length < 2 ? null : (slice.length - 1) / (((slice.at(-1) ?? 0) - (slice[0] ?? 0)) / 1000 || Number.NaN);
    const firstRate = rateOf(times.slice(0, tenth));
    const lastRate = rateOf(times.slice(-tenth));
    // Let Temporal and Postgres write what they have before measuring storage.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const temporalPer = (temporalBytes(stack) - temporalBefore) / count;
    const postgresPer = ((await postgresBytes(stack)) - postgresBefore) / count;
    const keySpan = times.length < 2 ? null : ((times.at(-1) ?? 0) - start) / 1000;
    const metrics: Metric[] = [
      { name: 'start.per_s', value: (count - failed) / startSeconds, unit: 'starts/s', target: { kind: 'min', limit: 200 } },
      { name: 'start.failed', value: failed, unit: `of ${count}` },
      { name: 'keys.delivered', value: keyAt.size, unit: `of ${count}`, target: { kind: 'min', limit: count - failed } },
      { name: 'keys.per_s', value: keySpan === null ? null : keyAt.size / keySpan, unit: 'keys/s' },
      { name: 'keys.per_s_first_tenth', value: firstRate, unit: 'keys/s' },
      { name: 'keys.per_s_last_tenth', value: lastRate, unit: 'keys/s' },
      {
        name: 'keys.last_over_first_rate',
        value: firstRate === null || lastRate === null ? null : lastRate / firstRate,
        unit: 'ratio',
        target: { kind: 'min', limit: 0.8 },
      },
      { name: 'worker.rss_max_mib', value: rssMax, unit: 'MiB', target: { kind: 'max', limit: 1024 } },
      { name: 'timers.expired', value: lateness.length, unit: `of ${count}`, target: { kind: 'min', limit: count - failed } },
      { name: 'timers.p50_late_ms', value: percentile(lateness, 0.5), unit: 'ms' },
      { name: 'timers.p99_late_ms', value: percentile(lateness, 0.99), unit: 'ms', target: { kind: 'max', limit: 1000 } },
      { name: 'timers.max_late_ms', value: lateness.length === 0 ? null : Math.max(...lateness), unit: 'ms' },
      ...Object.entries(cpu).map(([name, used]) => ({
        name: `cores_used.${name}`,
        value: used === null ? null : used / wall,
        unit: 'cores',
        better: 'none' as const,
      })),
      { name: 'storage.temporal_bytes_per_sub', value: temporalPer, unit: 'bytes' },
      { name: 'storage.postgres_bytes_per_sub', value: postgresPer, unit: 'bytes' },
    ];
    const p99Gap = percentile(
      times.slice(1).map((time, index) => time - (times[index] ?? time)),
      0.99,
    );
    if (p99Gap !== null) notes.push(`p99 gap between consecutive keys: ${p99Gap.toFixed(0)} ms`);
    notes.push(
      `timers: ${periodSeconds}-second trials; lateness of each expiry = its 'subscription.expired' audit time - end_date (the timer, its workflow task and markExpired's transaction); reminders are whole hours (LIFECYCLE_REMINDER_OFFSETS_HOURS) and so not measured`,
    );
    notes.push(
      `Temporal storage is the SQLite file growth of the dev server; Postgres is pg_database_size growth (both include every history and row the ${count} starts wrote)`,
    );
    return { options: { count, concurrency, drainSeconds, periodSeconds, panelClients: numbers['panel-clients'] ?? 0 }, metrics, notes };
  } finally {
    clearInterval(sampler);
    await stack.stop();
  }
}
