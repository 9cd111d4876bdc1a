/**
 * The worker's metrics endpoint after a real purchase on the real stack (balance payment →
 * subscription workflow → key on the fake 3X-UI panel → key message on the fake Telegram): the
 * scrape shows the purchase by method, one more active subscription, the key message, a
 * payment-to-key latency observation and the panel calls of that server. /healthz answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerBusinessMetrics } from '../../lib/observability/business-metrics';
import { startOpsServer, type OpsServer } from '../../lib/observability/ops-server';
import { countingFetch, createPanelCallCounter, createProcessRegistry } from '../../lib/observability/process-metrics';
import { createPurchaseService } from '../../usecases/start-purchase';
import { creditBalance } from '../../sql/repositories/ledger-repository';
import { newUser, testActor } from '../support/db-fixtures';
import { startRealStack, type RealStack } from '../support/real-stack';
import { eventually } from '../support/test-temporal';

const registry = createProcessRegistry('worker');
const panelCalls = createPanelCallCounter(registry);
let stack: RealStack;
let ops: OpsServer;

before(async () => {
  stack = await startRealStack({ panelFetchFor: (serverId) => countingFetch(panelCalls, serverId) });
  registerBusinessMetrics(registry, stack.database.pool);
  ops = await startOpsServer({ port: 0, host: '127.0.0.1', registry, healthy: () => true });
});
after(async () => {
  await ops.close();
  await stack.close();
});

/** One sample's value from a Prometheus text scrape (0 when absent). */
function sample(scrape: string, series: string): number {
  const line = scrape.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${ops.port}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

describe('worker metrics endpoint', () => {
  it('moves the purchase, subscription, message, latency and panel series after a purchase', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${ops.port}/healthz`)).status, 200);
    const db = stack.database.pool;
    const before = await scrape();
    const purchases = createPurchaseService({
      db,
      payments: { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 60 },
      providers: { byName: {}, forMethod: () => undefined },
      starsKopecksPerStar: 'disabled',
    });
    // The payment workflow's activities (a balance payment needs no provider).
    stack.deps.payments = {
      providers: { byName: {}, forMethod: () => undefined },
      temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
      returnUrl: 'https://vpn.example.com/payments/return',
    };
    const user = await newUser(db);
    await creditBalance(db, {
      userId: user.id,
      amount: '300.00',
      reason: 'top_up',
      idempotencyKey: `metrics-topup-${user.id}`,
      actor: testActor,
    });
    const after = await stack.run(async () => {
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId: 1, method: 'balance' }), { kind: 'done' });
      return eventually(
        async () => {
          const text = await scrape();
          return sample(text, 'vless_notifications{type="key_delivered",status="sent",component="worker"}') >
            sample(before, 'vless_notifications{type="key_delivered",status="sent",component="worker"}')
            ? text
            : undefined;
        },
        60_000,
        'the key message in the scrape',
      );
    });
    const moved = (series: string) => sample(after, series) - sample(before, series);
    assert.equal(moved('vless_payments{method="balance",status="completed",component="worker"}'), 1, 'purchases by method');
    assert.equal(moved('vless_subscriptions{status="active",component="worker"}'), 1, 'active subscriptions');
    assert.equal(moved('vless_notifications{type="key_delivered",status="sent",component="worker"}'), 1, 'messages sent');
    assert.equal(moved('vless_payment_to_key_seconds_24h{le="+Inf",component="worker"}'), 1, 'payment-to-key latency observed');
    assert.equal(moved('vless_payment_to_key_seconds_24h{le="3600",component="worker"}'), 1, 'within the hour');
    assert.ok(
      moved(`vless_panel_calls_total{server_id="${stack.server.id}",outcome="ok",component="worker"}`) > 0,
      'panel calls of that server',
    );
    assert.equal(sample(after, 'vless_payments_parked{component="worker"}'), 0);
    assert.match(after, /^vless_nodejs_eventloop_lag_p99_seconds\{component="worker"\} /m, 'process metrics');
  });
});
