import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBenchArgs } from './args';
import { resultFileName } from './results';
import { compareMetrics, formatTable, judge, percentile, summarize, type Metric } from './stats';

describe('percentile', () => {
  it('takes the nearest rank, whatever the input order', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    assert.equal(percentile(values, 0.5), 5);
    assert.equal(percentile(values, 0.9), 9);
    assert.equal(percentile(values, 0.99), 10);
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile(values, 1), 10);
  });

  it('is null for an empty sample and refuses a quantile outside 0..1', () => {
    assert.equal(percentile([], 0.5), null);
    assert.throws(() => percentile([1], 1.5), RangeError);
  });

  it('summarize agrees with percentile on a large sample', () => {
    const values = Array.from({ length: 1000 }, (_, index) => (index * 7919) % 1000);
    const summary = summarize(values);
    assert.deepEqual(summary, {
      count: 1000,
      p50: percentile(values, 0.5),
      p95: percentile(values, 0.95),
      p99: percentile(values, 0.99),
      max: 999,
    });
    assert.equal(summary.p99, 989);
  });
});

describe('judge', () => {
  it('passes a latency below its limit and gives the ratio', () => {
    assert.deepEqual(judge(150, { kind: 'max', limit: 300 }), { status: 'PASS', ratio: 0.5 });
    assert.deepEqual(judge(600, { kind: 'max', limit: 300 }), { status: 'MISS', ratio: 2 });
  });

  it('passes a rate at or above its floor; a missing value is a miss', () => {
    assert.equal(judge(200, { kind: 'min', limit: 200 }).status, 'PASS');
    assert.equal(judge(199, { kind: 'min', limit: 200 }).status, 'MISS');
    assert.deepEqual(judge(null, { kind: 'max', limit: 1 }), { status: 'MISS', ratio: null });
    assert.deepEqual(judge(3, undefined), { status: 'n/a', ratio: null });
  });
});

describe('compareMetrics', () => {
  const current: Metric[] = [
    { name: 'p99_ms', value: 330, unit: 'ms', target: { kind: 'max', limit: 300 } },
    { name: 'rate', value: 80, unit: 'events/s' },
    { name: 'rss', value: 500, unit: 'MiB' },
    { name: 'brand_new', value: 1, unit: 'ms' },
  ];
  const previous: Metric[] = [
    { name: 'p99_ms', value: 300, unit: 'ms' },
    { name: 'rate', value: 100, unit: 'events/s' },
    { name: 'rss', value: 490, unit: 'MiB' },
  ];

  it('flags a change of more than 10 % in the wrong direction as a regression', () => {
    const deltas = compareMetrics(current, previous);
    assert.equal(deltas.get('p99_ms')?.regression, false, '+10 % exactly is within tolerance');
    assert.ok(Math.abs((deltas.get('p99_ms')?.relative ?? 0) - 0.1) < 1e-9);
    assert.equal(deltas.get('rate')?.regression, true, 'a rate (…/s) that drops 20 % regressed');
    assert.equal(deltas.get('rss')?.regression, false);
    assert.deepEqual(deltas.get('brand_new'), { previous: null, relative: null, regression: false });
  });

  it('treats a higher rate and a lower latency as improvements', () => {
    const deltas = compareMetrics(
      [
        { name: 'rate', value: 200, unit: 'events/s' },
        { name: 'p99_ms', value: 100, unit: 'ms' },
      ],
      previous,
    );
    assert.equal(deltas.get('rate')?.regression, false);
    assert.equal(deltas.get('p99_ms')?.regression, false);
  });

  it('a count marked better high is not a regression when it grows', () => {
    const deltas = compareMetrics(
      [{ name: 'delivered', value: 50, unit: 'of 50', better: 'high' }],
      [{ name: 'delivered', value: 5, unit: 'of 50' }],
    );
    assert.equal(deltas.get('delivered')?.regression, false);
    const fewer = compareMetrics(
      [{ name: 'delivered', value: 5, unit: 'of 50', better: 'high' }],
      [{ name: 'delivered', value: 50, unit: 'of 50' }],
    );
    assert.equal(fewer.get('delivered')?.regression, true);
  });

  it('per core-second is a rate, and a context number marked none never regresses', () => {
    const deltas = compareMetrics(
      [
        { name: 'per_core', value: 100, unit: 'events/core-s' },
        { name: 'cores', value: 2, unit: 'cores', better: 'none' },
      ],
      [
        { name: 'per_core', value: 200, unit: 'events/core-s' },
        { name: 'cores', value: 0.5, unit: 'cores' },
      ],
    );
    assert.equal(deltas.get('per_core')?.regression, true);
    assert.equal(deltas.get('cores')?.regression, false);
  });

  it('without a previous run every metric is new, and the table says so', () => {
    const table = formatTable(current, compareMetrics(current, undefined));
    assert.match(table, /p99_ms\s+330\s+ms\s+< 300\s+MISS \(x1\.10\)\s+new/);
  });

  it('the table shows the delta and marks regressions', () => {
    const table = formatTable(current, compareMetrics(current, previous));
    assert.match(table, /rate\s+80\s+events\/s\s+-20\.0% REGRESSION/);
    assert.match(table, /p99_ms .* \+10\.0%$/m);
  });
});

describe('bench plumbing', () => {
  it('result files sort by time and carry no colons', () => {
    const early = resultFileName('purchase', new Date('2026-11-25T09:05:00.123Z'));
    const late = resultFileName('purchase', new Date('2026-11-25T10:00:00Z'));
    assert.equal(early, 'purchase-2026-11-25T09-05-00Z.json');
    assert.ok(early < late);
  });

  it('parses NAME and numeric flags, refusing anything else', () => {
    assert.deepEqual(parseBenchArgs(['scale', '--count', '100000']), { name: 'scale', numbers: { count: 100000 } });
    assert.throws(() => parseBenchArgs([]), /usage/);
    assert.throws(() => parseBenchArgs(['bot', '--rate', 'fast']), /bad argument/);
    assert.throws(() => parseBenchArgs(['bot', 'rate', '5']), /bad argument/);
  });
});
