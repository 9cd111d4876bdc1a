import { Gauge, type Registry } from 'prom-client';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';

/** Upper bounds (seconds) of the payment-to-key latency buckets. */
export const PAYMENT_TO_KEY_BUCKETS_SECONDS = [5, 15, 30, 60, 120, 300, 900, 3600] as const;

const paymentCount = z.object({ method: z.string(), status: z.string(), count: z.number() });
const statusCount = z.object({ status: z.string(), count: z.number() });
const notificationCount = z.object({ type: z.string(), status: z.string(), count: z.number() });
const latencyRow = z.object({ seconds: z.number() });
const countRow = z.object({ count: z.number() });

/**
 * Business gauges read from Postgres at every scrape (the worker registers them), so they are
 * true whatever process or replica did the work, and identical on every replica (aggregate
 * them with max, not sum):
 * - `vless_payments{method,status}`: payments per method and status (purchases by method:
 *   status="completed"; use increase() for rates).
 * - `vless_payments_parked`: paid (completed) but not applied to a subscription 10 minutes later.
 * - `vless_subscriptions{status}`: subscriptions per status (status="active").
 * - `vless_notifications{type,status}`: messages per kind (key_delivered, reminder_*, ...) and
 *   outcome (sent, failed, pending).
 * - `vless_payment_to_key_seconds_24h{le}`: of the keys delivered in the last 24 hours after a
 *   payment, how many arrived within `le` seconds of the payment (a histogram's cumulative
 *   buckets over a sliding window; `le="+Inf"` is the total). histogram_quantile() reads it.
 */
export function registerBusinessMetrics(registry: Registry, db: DatabasePool): void {
  new Gauge({
    name: 'vless_payments',
    help: 'Payments per method and status',
    labelNames: ['method', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.any(sql.type(paymentCount)`
        SELECT payment_method AS method, status, count(*)::int AS count FROM payments GROUP BY 1, 2
      `);
      for (const row of rows) this.set({ method: row.method, status: row.status }, row.count);
    },
  });
  new Gauge({
    name: 'vless_payments_parked',
    help: 'Payments completed at the provider but not applied to a subscription within 10 minutes',
    registers: [registry],
    async collect() {
      const row = await db.one(sql.type(countRow)`
        SELECT count(*)::int AS count FROM payments
        WHERE status = 'completed' AND applied_at IS NULL AND completed_at < now() - interval '10 minutes'
      `);
      this.set(row.count);
    },
  });
  new Gauge({
    name: 'vless_subscriptions',
    help: 'Subscriptions per status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.any(sql.type(statusCount)`SELECT status, count(*)::int AS count FROM subscriptions GROUP BY 1`);
      for (const row of rows) this.set({ status: row.status }, row.count);
    },
  });
  new Gauge({
    name: 'vless_notifications',
    help: 'Messages to users per kind and outcome',
    labelNames: ['type', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.any(sql.type(notificationCount)`SELECT type, status, count(*)::int AS count FROM notifications GROUP BY 1, 2`);
      for (const row of rows) this.set({ type: row.type, status: row.status }, row.count);
    },
  });
  new Gauge({
    name: 'vless_payment_to_key_seconds_24h',
    help: 'Keys delivered in the last 24 h within le seconds of their payment (cumulative buckets)',
    labelNames: ['le'],
    registers: [registry],
    async collect() {
      // Each completed payment of a subscription, paired with the first key message for that
      // subscription sent at or after the payment.
      const rows = await db.any(sql.type(latencyRow)`
        SELECT extract(epoch FROM (k.sent_at - p.completed_at))::float8 AS seconds
        FROM payments p
        CROSS JOIN LATERAL (
          SELECT min(n.sent_at) AS sent_at FROM notifications n
          WHERE n.type = 'key_delivered' AND n.status = 'sent'
            AND (n.data->>'subscriptionId') = p.subscription_id::text AND n.sent_at >= p.completed_at
        ) k
        WHERE p.completed_at IS NOT NULL AND p.subscription_id IS NOT NULL
          AND k.sent_at IS NOT NULL AND k.sent_at > now() - interval '24 hours'
      `);
      for (const bound of PAYMENT_TO_KEY_BUCKETS_SECONDS) {
        this.set({ le: String(bound) }, rows.filter((row) => row.seconds <= bound).length);
      }
      this.set({ le: '+Inf' }, rows.length);
    },
  });
}
