/**
 * The pure part of the benchmarks: percentiles, targets with their verdicts, the comparison with
 * the previous result of the same bench, and the table printed at the end. No I/O here, so
 * bench/lib/stats.test.ts covers it in `npm test` (the benches themselves are not run there).
 */

/** Summary of a latency sample, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * The `q`-quantile (0..1) of `values` by the nearest-rank method (the smallest value with at
 * least q of the sample at or below it); null for an empty sample.
 */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  if (q < 0 || q > 1 || Number.isNaN(q)) throw new RangeError(`quantile ${q} is outside 0..1`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** p50, p95, p99 and max of a sample (sorted once). */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? null : (sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? null));
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? null };
}

/** A goal from the issue: the measured value must stay below (`max`) or reach (`min`) `limit`. */
export interface Target {
  kind: 'max' | 'min';
  limit: number;
}

/** One number of a bench result, with its unit and (optionally) the issue's target for it. */
export interface Metric {
  /** Stable name, used to match the same number in the previous result (e.g. `rate20.p99_ms`). */
  name: string;
  value: number | null;
  unit: string;
  target?: Target | undefined;
  /**
   * Which way is better, when neither the target nor the unit says (e.g. a count delivered);
   * 'none' for context numbers that are never a regression (cores used at whatever rate ran).
   */
  better?: 'low' | 'high' | 'none' | undefined;
}

/** PASS / MISS against a target, with the ratio value/limit (how far off, either way). */
export interface Verdict {
  status: 'PASS' | 'MISS' | 'n/a';
  /** value / limit; null without a target or value. */
  ratio: number | null;
}

/** Whether `value` meets `target`; a missing value is a MISS (nothing measured is not a pass). */
export function judge(value: number | null, target: Target | undefined): Verdict {
  if (target === undefined) return { status: 'n/a', ratio: null };
  if (value === null || !Number.isFinite(value)) return { status: 'MISS', ratio: null };
  const ratio = target.limit === 0 ? null : value / target.limit;
  const pass = target.kind === 'max' ? value < target.limit : value >= target.limit;
  return { status: pass ? 'PASS' : 'MISS', ratio };
}

/** Change of one metric since the previous run of the same bench. */
export interface Delta {
  previous: number | null;
  /** (value - previous) / previous; null when either is missing or previous is 0. */
  relative: number | null;
  /** True when the change moves away from the target (or, without one, is worse by > 10 %). */
  regression: boolean;
}

/** Direction in which a metric gets better; latency-like units are better low. */
export function betterWhen(metric: Pick<Metric, 'unit' | 'target' | 'better'>): 'low' | 'high' | 'none' {
  if (metric.better !== undefined) return metric.better;
  if (metric.target !== undefined) return metric.target.kind === 'max' ? 'low' : 'high';
  return /\/(core-)?s$/.test(metric.unit) ? 'high' : 'low';
}

/**
 * Compares `current` with the same-named metrics of `previous` (the last JSON of this bench). A
 * change of more than `tolerance` (default 10 %) in the wrong direction is a regression.
 */
export function compareMetrics(current: readonly Metric[], previous: readonly Metric[] | undefined, tolerance = 0.1): Map<string, Delta> {
  const before = new Map((previous ?? []).map((metric) => [metric.name, metric.value]));
  const deltas = new Map<string, Delta>();
  for (const metric of current) {
    const old = before.get(metric.name) ?? null;
    const relative = old === null || metric.value === null || old === 0 ? null : (metric.value - old) / Math.abs(old);
    const better = betterWhen(metric);
    const worse = relative !== null && better !== 'none' && (better === 'low' ? relative > tolerance : relative < -tolerance);
    deltas.set(metric.name, { previous: old, relative, regression: worse });
  }
  return deltas;
}

/** A number for the table: integers as they are, others with up to 3 significant decimals. */
export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

/** The results table: metric, value, unit, target, verdict (with ratio), change since last run. */
export function formatTable(metrics: readonly Metric[], deltas: ReadonlyMap<string, Delta>): string {
  const rows = metrics.map((metric) => {
    const verdict = judge(metric.value, metric.target);
    const delta = deltas.get(metric.name);
    const target = metric.target === undefined ? '' : `${metric.target.kind === 'max' ? '<' : '>='} ${formatNumber(metric.target.limit)}`;
    const verdictText =
      verdict.status === 'n/a' ? '' : `${verdict.status}${verdict.ratio === null ? '' : ` (x${formatNumber(verdict.ratio)})`}`;
    const change =
      delta?.relative === null || delta === undefined
        ? delta?.previous === null || delta === undefined
          ? 'new'
          : `was ${formatNumber(delta.previous)}`
        : `${delta.relative >= 0 ? '+' : ''}${(delta.relative * 100).toFixed(1)}%${delta.regression ? ' REGRESSION' : ''}`;
    return [metric.name, formatNumber(metric.value), metric.unit, target, verdictText, change];
  });
  const header = ['metric', 'value', 'unit', 'target', 'verdict', 'vs previous'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
