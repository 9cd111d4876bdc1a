/**
 * `npm run bench -- NAME [options]`: runs one benchmark against a stack it starts itself (see
 * bench/lib/stack.ts), prints its table against the targets and the previous run, writes
 * bench/results/NAME-<time>.json and stops everything it started, also on failure and Ctrl-C.
 *
 *   purchase  --seconds S per step (default 60), --drain S (30), --panel-clients N (0); steps from BENCH_RATES (1,5,10,20,50)
 *   webhooks  --seconds S per phase (default 20), --connections C (8), --count N new events (3000), --drain S for the hand-off (120)
 *   scale     --count N (default 10000), --concurrency C (32), --drain S (300), --period-seconds S (300), --panel-clients N (0)
 *   bot       --rate R (default 200), --seconds S (30), --drain S (30)
 */
// Must stay the first import: it records the signal listeners before any library adds its own.
import '../scripts/stack/signal-baseline';
import path from 'node:path';
import { requireNode24 } from '../scripts/stack/require-node';
import { parseBenchArgs } from './lib/args';
import { machineInfo, reportResult, type BenchOutcome, type BenchResult } from './lib/results';
import { ROOT } from './lib/stack';

requireNode24();
const args = parseBenchArgs(process.argv.slice(2));
const benches: Record<string, () => Promise<(numbers: Record<string, number>) => Promise<BenchOutcome>>> = {
  purchase: async () => (await import('./purchase')).benchPurchase,
  webhooks: async () => (await import('./webhooks')).benchWebhooks,
  scale: async () => (await import('./scale')).benchScale,
  bot: async () => (await import('./bot')).benchBot,
};
const load = benches[args.name];
if (load === undefined) {
  console.error(`unknown bench '${args.name}': one of ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
const startedAt = new Date();
let code = 0;
try {
  const outcome = await (await load())(args.numbers);
  const result: BenchResult = {
    bench: args.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: outcome.options,
    machine: machineInfo(),
    metrics: outcome.metrics,
    notes: outcome.notes,
  };
  await reportResult(path.join(ROOT, 'bench', 'results'), result);
} catch (error) {
  console.error(`bench ${args.name} failed:`, error instanceof Error ? (error.stack ?? error.message) : error);
  code = 1;
}
process.exit(code);
