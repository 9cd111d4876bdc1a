/**
 * Bench results on disk: `bench/results/<bench>-<ISO date>.json`, one per run. The previous file
 * of the same bench (by name order, which is time order) is what a run compares itself with.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compareMetrics, formatTable, judge, type Metric } from './stats';

/** What a bench function returns; main adds the dates and the machine. */
export interface BenchOutcome {
  options: Record<string, unknown>;
  metrics: Metric[];
  notes: string[];
}

/** What one run writes. */
export interface BenchResult {
  bench: string;
  startedAt: string;
  finishedAt: string;
  /** The options the run used (seconds per step, counts, ...). */
  options: Record<string, unknown>;
  machine: { cpus: number; loadAverage1m: number; node: string };
  metrics: Metric[];
  /** Free-form observations (what could not be measured, errors seen). */
  notes: string[];
}

/** File name of a result: `<bench>-<ISO time with ':' replaced>.json`, so names sort by time. */
export function resultFileName(bench: string, at: Date): string {
  return `${bench}-${at
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z')}.json`;
}

/** The newest earlier result of `bench` in `folder`, or undefined. */
export async function loadPreviousResult(folder: string, bench: string): Promise<BenchResult | undefined> {
  if (!existsSync(folder)) return undefined;
  const names = (await readdir(folder)).filter((name) => name.startsWith(`${bench}-`) && name.endsWith('.json')).sort();
  const last = names.at(-1);
  if (last === undefined) return undefined;
  return JSON.parse(await readFile(path.join(folder, last), 'utf8')) as BenchResult;
}

/** Prints the table (with the delta against the previous run) and writes the JSON; returns its path. */
export async function reportResult(folder: string, result: BenchResult): Promise<string> {
  const previous = await loadPreviousResult(folder, result.bench);
  const deltas = compareMetrics(result.metrics, previous?.metrics);
  console.log(`\n== bench ${result.bench}: ${result.startedAt} .. ${result.finishedAt}`);
  console.log(
    `   machine: ${result.machine.cpus} CPUs, load average ${result.machine.loadAverage1m.toFixed(2)} at the end (shared machine: read ratios, not absolutes)`,
  );
  console.log(
    previous === undefined
      ? '   no previous result to compare with'
      : `   compared with the run of ${previous.startedAt} (options ${JSON.stringify(previous.options)}; this run ${JSON.stringify(result.options)})`,
  );
  console.log(formatTable(result.metrics, deltas));
  const misses = result.metrics.filter((metric) => judge(metric.value, metric.target).status === 'MISS').length;
  const regressions = [...deltas.values()].filter((delta) => delta.regression).length;
  console.log(`   targets missed: ${misses}; regressions against the previous run: ${regressions}`);
  for (const note of result.notes) console.log(`   note: ${note}`);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, resultFileName(result.bench, new Date(result.startedAt)));
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`   written ${path.relative(process.cwd(), file)}`);
  return file;
}

/** The machine description stored with a result. */
export function machineInfo(): BenchResult['machine'] {
  return { cpus: os.cpus().length, loadAverage1m: os.loadavg()[0] ?? 0, node: process.version };
}
