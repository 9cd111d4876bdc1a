/**
 * bench bot: `--rate` (default 200) `/start` updates per second from distinct users, pushed into
 * the fake Telegram's update queue for `--seconds` (default 30); the bot long-polls them as in
 * production. Latency = the bot's first answer in that chat - the moment the update was queued.
 * Updates still unanswered `--drain` seconds (default 30) after the last push count as dropped.
 * Measured after `--warmup` seconds (default 30) of the same load, whose p99 is reported apart.
 */
import { cpuBetween, sampleCpu } from './lib/proc';
import { runAtRate } from './lib/load';
import { startBenchStack } from './lib/stack';
import { summarize, type Metric } from './lib/stats';
import type { BenchOutcome } from './lib/results';

export async function benchBot(numbers: Record<string, number>): Promise<BenchOutcome> {
  const rate = numbers['rate'] ?? 200;
  const seconds = numbers['seconds'] ?? 30;
  const drainSeconds = numbers['drain'] ?? 30;
  const warmupSeconds = numbers['warmup'] ?? 30;
  // BENCH_BOT_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the bot process.
  const stack = await startBenchStack({ bot: true });
  try {
    const firstId = 9_000_000_000;
    const queuedAt = new Map<number, number>();
    const answeredAt = new Map<number, number>();
    stack.onBotCall((call, at) => {
      if (call.chatId === undefined || !call.ok || answeredAt.has(call.chatId) || !queuedAt.has(call.chatId)) return;
      if (call.method === 'sendMessage' || call.method === 'sendPhoto') answeredAt.set(call.chatId, at);
    });
    // One warm-up update, so the first measured one does not pay for the bot's first poll.
    stack.telegram.userSends({ id: firstId - 1 }, '/start');
    await stack.telegram.waitFor((call) => call.chatId === firstId - 1 && call.method === 'sendMessage', 60_000);
    /**
     * `/start` from the distinct users `firstId + i` at `rate` for `phaseSeconds`, then up to
     * `--drain` seconds for their first answers: the latencies, when the last answer came, and
     * how many updates were pushed.
     */
    async function pushStarts(phaseFirstId: number, phaseSeconds: number, name: string) {
      const phaseStart = performance.now();
      const run = await runAtRate({
        rate,
        seconds: phaseSeconds,
        maxInFlight: Number.MAX_SAFE_INTEGER,
        task: async (index) => {
          const id = phaseFirstId + index;
          queuedAt.set(id, performance.now());
          stack.telegram.userSends({ id, first_name: `${name} ${index}` }, '/start');
        },
      });
      const ids = Array.from({ length: run.started }, (_, index) => phaseFirstId + index);
      const deadline = performance.now() + drainSeconds * 1000;
      while (ids.some((id) => !answeredAt.has(id)) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const latencies: number[] = [];
      let last = phaseStart;
      for (const id of ids) {
        const answered = answeredAt.get(id);
        const queued = queuedAt.get(id);
        if (answered === undefined || queued === undefined) continue;
        latencies.push(answered - queued);
        last = Math.max(last, answered);
      }
      return { run, start: phaseStart, latencies, last, pushed: ids.length };
    }
    // Then `--warmup` seconds at the same rate, reported apart: a fresh database and process have
    // one-time costs (pool connections opened, the JIT, a stall of ~100-150 ms about 20 s after
    // Postgres started, seen once in a 70 s run and never again) that a running bot has paid.
    const warmupLatencies = warmupSeconds > 0 ? (await pushStarts(firstId - 1_000_000, warmupSeconds, 'Warm')).latencies : [];
    const cpuBefore = sampleCpu({ bot: stack.pids.bot, postgres: stack.pids.postgres });
    const benchBefore = process.cpuUsage();
    const { run, start, latencies, last, pushed } = await pushStarts(firstId, seconds, 'Bench');
    const cpu = cpuBetween(cpuBefore, sampleCpu({ bot: stack.pids.bot, postgres: stack.pids.postgres }));
    // This process: the fake Telegram (update queue, getUpdates, every sendMessage) and the load.
    const benchUsage = process.cpuUsage(benchBefore);
    cpu['fake_telegram'] = (benchUsage.user + benchUsage.system) / 1e6;
    const summary = summarize(latencies);
    const dropped = pushed - latencies.length;
    const metrics: Metric[] = [
      { name: 'updates.pushed_per_s', value: run.started / run.seconds, unit: 'updates/s' },
      {
        name: 'answers.per_s',
        value: latencies.length / Math.max(run.seconds, (last - start) / 1000),
        unit: 'answers/s',
        target: { kind: 'min', limit: rate * 0.95 },
      },
      { name: 'answers.p50_ms', value: summary.p50, unit: 'ms' },
      { name: 'answers.p95_ms', value: summary.p95, unit: 'ms' },
      { name: 'answers.p99_ms', value: summary.p99, unit: 'ms', target: { kind: 'max', limit: 50 } },
      { name: 'warmup.p99_ms', value: summarize(warmupLatencies).p99, unit: `ms (first ${warmupSeconds} s, not the target)` },
      { name: 'answers.dropped', value: dropped, unit: `of ${pushed}`, target: { kind: 'max', limit: 1 } },
      {
        name: 'cpu_s_per_answer.bot',
        value: cpu['bot'] == null || latencies.length === 0 ? null : cpu['bot'] / latencies.length,
        unit: 'CPU-s',
      },
      {
        name: 'cpu_s_per_answer.postgres',
        value: cpu['postgres'] == null || latencies.length === 0 ? null : cpu['postgres'] / latencies.length,
        unit: 'CPU-s',
      },
      {
        name: 'cpu_s_per_answer.fake_telegram',
        value: cpu['fake_telegram'] == null || latencies.length === 0 ? null : cpu['fake_telegram'] / latencies.length,
        unit: 'CPU-s',
      },
    ];
    const notes = [
      `dropped = no answer ${drainSeconds} s after the last update was queued (the updates are still queued; a restart would lose nothing, but the user waited)`,
    ];
    return { options: { rate, seconds, drainSeconds, warmupSeconds }, metrics, notes };
  } finally {
    await stack.stop();
  }
}
