import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, type Registry } from 'prom-client';
import type { AlertInput, AlertResult } from './contracts/alert-activities';

/**
 * `vless_alerts_total{kind}`: operator alerts raised (first delivery of each alert key; repeats
 * the alert channel deduplicates are not counted), e.g. kind="invariant_violation",
 * "work_parked", "payment_mismatch". Counted by an activity interceptor around `alertOperators`,
 * so the alert channel itself stays unaware of metrics.
 */
export function createAlertCounter(registry: Registry): Counter<'kind'> {
  return new Counter({
    name: 'vless_alerts_total',
    help: 'Operator alerts raised, per kind (invariant_violation, work_parked, payment_mismatch, ...)',
    labelNames: ['kind'],
    registers: [registry],
  });
}

/** The worker's activity interceptor that moves {@link createAlertCounter}'s counter. */
export function alertMetricsInterceptor(counter: Counter<'kind'>): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (ctx.info.activityType === 'alertOperators') {
          const alert = input.args[0] as Partial<AlertInput> | undefined;
          if (typeof alert?.kind === 'string' && (result as Partial<AlertResult> | undefined)?.duplicate !== true)
            counter.inc({ kind: alert.kind });
        }
        return result;
      },
    },
  });
}
