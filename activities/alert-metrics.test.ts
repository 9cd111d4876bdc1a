/**
 * Alerts are counted per kind by the worker's activity interceptor around alertOperators; other
 * activities and deduplicated repeats are not counted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActivityExecuteInput } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { Registry } from 'prom-client';
import { alertMetricsInterceptor, createAlertCounter } from './alert-metrics';

function run(factory: ReturnType<typeof alertMetricsInterceptor>, activityType: string, args: unknown[], result: unknown) {
  const ctx = { info: { activityType } } as unknown as Context;
  const execute = factory(ctx).inbound?.execute;
  assert.ok(execute !== undefined);
  return execute({ args, headers: {} } as ActivityExecuteInput, async () => result);
}

describe('alert metrics interceptor', () => {
  it('counts first deliveries of alertOperators by kind, nothing else', async () => {
    const registry = new Registry();
    const factory = alertMetricsInterceptor(createAlertCounter(registry));
    const fresh = { sent: true, duplicate: false, suppressed: false };
    assert.deepEqual(await run(factory, 'alertOperators', [{ kind: 'invariant_violation', key: 'a', summary: 's' }], fresh), fresh);
    await run(factory, 'alertOperators', [{ kind: 'invariant_violation', key: 'b', summary: 's' }], fresh);
    await run(factory, 'alertOperators', [{ kind: 'invariant_violation', key: 'a', summary: 's' }], { ...fresh, duplicate: true });
    await run(factory, 'alertOperators', [{ kind: 'work_parked', key: 'c', summary: 's' }], fresh);
    await run(factory, 'provisionClient', [{ kind: 'work_parked' }], fresh);
    const text = await registry.getSingleMetricAsString('vless_alerts_total');
    assert.match(text, /vless_alerts_total\{kind="invariant_violation"\} 2/);
    assert.match(text, /vless_alerts_total\{kind="work_parked"\} 1/);
  });
});
