/**
 * The orphan sweeps on the real stack (Postgres, the Temporal dev server running the real
 * subscription workflow and activities, the fake 3X-UI panel, the fake Telegram, the fake
 * YooKassa): each orphan state is made directly in the database, the sweep repairs it once
 * (through the owning workflow), audits it and alerts the operators; a second run does nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createActivities } from '../../activities/create-activities';
import type { SweepInput } from '../../activities/sweep-activities';
import { startFakeYooKassa, type FakeYooKassa } from '../../fakes/yookassa';
import { createPaymentProviders, paymentFields } from '../../lib/payments/payments-config';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { listOrphanRepairs } from '../../sql/repositories/orphan-repairs-repository';
import { getPayment, markPaymentCancelled, setPaymentExternalId } from '../../sql/repositories/payments-repository';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { getUserById } from '../../sql/repositories/users-repository';
import { ScheduleId, subscriptionWorkflowId } from '../../workflows/contract';
import { fleetSchedules } from '../../clients/ensure-schedules';
import { getStateQuery, paymentCompletedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import type { orphanSweepWorkflow } from '../../workflows/orphan-sweep-workflow';
import { testScheduleSettings } from '../support/schedule-settings';
import { startRealStack, type RealStack } from '../support/real-stack';
import { maybeRecordHistory } from '../support/record-history';
import { eventually } from '../support/test-temporal';

const OPERATOR_CHAT = 7_700_001;
const SHOP = { shopId: '654321', secretKey: 'test_sweep-secret-key' };

describe('orphan sweeps on the real stack', () => {
  let stack: RealStack;
  let yookassa: FakeYooKassa;
  let activities: ReturnType<typeof createActivities>;
  let runs = 0;

  before(async () => {
    stack = await startRealStack();
    yookassa = await startFakeYooKassa(SHOP);
    const providers = createPaymentProviders(
      z.object(paymentFields).parse({
        YOOKASSA_SHOP_ID: SHOP.shopId,
        YOOKASSA_SECRET_KEY: SHOP.secretKey,
        YOOKASSA_API_URL: yookassa.apiUrl,
        PAYMENT_TIMEOUT_MS: '2000',
      }),
    );
    // The worker's deps are the stack's object: the in-process worker sees these too.
    stack.deps.payments = {
      providers,
      temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
      returnUrl: 'https://t.me/test_bot',
    };
    stack.deps.alerts = { chatIds: [OPERATOR_CHAT], maxPerKindPerMinute: 100 };
    activities = createActivities(stack.deps);
  });
  after(async () => {
    await yookassa?.close();
    await stack?.close();
  });

  const pool = () => stack.database.pool;
  const input = (overrides: Partial<SweepInput> = {}): SweepInput => ({
    sweepId: `test-sweep-${++runs}`,
    olderThanSeconds: 1,
    limit: 10,
    ...overrides,
  });
  const alertsAbout = (text: string) =>
    stack.telegram
      .sent(OPERATOR_CHAT)
      .filter((call) => call.method === 'sendMessage' && String(call.params.text).includes(text))
      .map((call) => String(call.params.text));
  const keyMessages = async (userId: number) => {
    const telegramId = (await getUserById(pool(), userId))?.telegram_id;
    return stack.telegram.sent(telegramId).filter((call) => call.method === 'sendPhoto');
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 1_100));

  async function paidOrder() {
    const user = await newUser(pool());
    const subscription = await createPendingSubscription(pool(), { userId: user.id, planId: 1, actor: testActor });
    const payment = await newPayment(pool(), { userId: user.id, subscriptionId: subscription.id, completed: true });
    return { user, subscription, payment };
  }

  it('hands a completed but never applied payment to its subscription once: applied, key sent, audited, alerted', async () => {
    await stack.run(async () => {
      // A payment workflow completed the payment and died before its hand-off: no subscription workflow exists.
      const { user, subscription, payment } = await paidOrder();
      await settle();
      const sweepInput = input();
      const first = await activities.sweepUnappliedPayments(sweepInput);
      assert.deepEqual(first.repairs, [{ entityId: payment.id, attempt: 1, outcome: 'handed-off' }]);
      // Usually 3–4 s; once, on a loaded CI run, over 20 s (this file's first workflow on a worker
      // just started): the bound is for a stuck hand-off, not a slow machine.
      await eventually(async () => ((await getPayment(pool(), payment.id))?.applied_at ? true : undefined), 60_000, 'payment applied');
      await eventually(async () => ((await keyMessages(user.id)).length > 0 ? true : undefined), 60_000, 'key sent');
      const row = await getSubscription(pool(), subscription.id);
      assert.equal(row?.status, 'active');
      assert.match(row?.vpn_key ?? '', /^vless:\/\//);
      assert.equal(await countAuditLogs(pool(), { action: 'sweep.payment_handed_off', entityId: payment.id }), 1);
      const [alert, ...moreAlerts] = alertsAbout(`payment ${payment.id}`);
      assert.equal(moreAlerts.length, 0);
      assert.match(alert ?? '', /payment_unapplied/);
      assert.match(alert ?? '', new RegExp(`subscription ${subscription.id} · user ${user.id} · payment ${payment.id}`));

      // A retry of the same sweep activity answers as the first call did, and does nothing again.
      assert.deepEqual(await activities.sweepUnappliedPayments(sweepInput), first);
      // The next run finds nothing: the orphan is gone and forgotten.
      const second = await activities.sweepUnappliedPayments(input());
      assert.deepEqual(second.repairs, []);
      assert.equal(second.resolved, 1);
      assert.deepEqual(await listOrphanRepairs(pool(), 'payment_unapplied'), []);
      assert.equal((await keyMessages(user.id)).length, 1, 'the key is sent once');
      assert.equal(alertsAbout(`payment ${payment.id}`).length, 1, 'one alert');
      assert.equal(await countAuditLogs(pool(), { action: 'sweep.payment_handed_off', entityId: payment.id }), 1);
    });
  });

  it('hands a payment of a cancelled subscription to its workflow (which credits it), never credits it itself', async () => {
    await stack.run(async () => {
      const { user, subscription, payment } = await paidOrder();
      await pool().query(sql.unsafe`UPDATE subscriptions SET status = 'cancelled' WHERE id = ${subscription.id}`);
      await settle();
      const first = await activities.sweepUnappliedPayments(input());
      assert.deepEqual(first.repairs, [{ entityId: payment.id, attempt: 1, outcome: 'handed-off:cancelled-subscription' }]);
      const handle = stack.temporal.client.workflow.getHandle(subscriptionWorkflowId(subscription.id));
      const signalled = await eventually(
        async () => {
          const history = await handle.fetchHistory();
          const signal = history.events?.find((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'paymentCompleted');
          return signal === undefined ? undefined : signal;
        },
        10_000,
        'paymentCompleted signal',
      );
      assert.ok(signalled);
      const [alert] = alertsAbout(`payment ${payment.id}`);
      assert.match(alert ?? '', /cancelled; handed to its workflow, which credits it to the user's balance/);
      // The sweep moved no money itself: any credit is the workflow's, through the ledger.
      const bySweep = await pool().anyFirst(sql.type(z.object({ action: z.string() }))`
        SELECT action FROM audit_logs WHERE actor_id = 'sweep' AND user_id = ${user.id} ORDER BY id
      `);
      assert.deepEqual(bySweep, ['sweep.payment_handed_off']);
      // The next run does nothing (applied by the workflow, or waiting out its backoff).
      assert.deepEqual((await activities.sweepUnappliedPayments(input())).repairs, []);
      assert.equal(alertsAbout(`payment ${payment.id}`).length, 1);
      // The workflow credits it to the balance (the payment is then refunded, no longer an orphan):
      // past the backoff, the sweep still leaves it alone and alerts nothing more.
      await eventually(
        async () => ((await getPayment(pool(), payment.id))?.status === 'refunded' ? true : undefined),
        15_000,
        'payment credited by its workflow',
      );
      await pool().query(
        sql.unsafe`UPDATE orphan_repairs SET next_at = now() WHERE sweep = 'payment_unapplied' AND entity_id = ${payment.id}`,
      );
      assert.deepEqual((await activities.sweepUnappliedPayments(input())).repairs, []);
      assert.equal(alertsAbout(`payment ${payment.id}`).length, 1);
      await handle.terminate('test over').catch(() => undefined);
    });
  });

  it('tells the operators when a hand-off fails, and tries again only after the backoff', async () => {
    // A subscription without a plan: its workflow cannot be started, so the hand-off is refused.
    const user = await newUser(pool());
    const subscription = await createPendingSubscription(pool(), { userId: user.id, planId: null, actor: testActor });
    const payment = await newPayment(pool(), { userId: user.id, subscriptionId: subscription.id, completed: true });
    await settle();
    const first = await activities.sweepUnappliedPayments(input());
    assert.deepEqual(first.repairs, [{ entityId: payment.id, attempt: 1, outcome: 'failed:SUBSCRIPTION_STATE_INVALID' }]);
    const [alert, ...more] = alertsAbout(`payment ${payment.id}`);
    assert.equal(more.length, 0);
    assert.match(alert ?? '', /handing it to subscription \d+ failed \(SUBSCRIPTION_STATE_INVALID, attempt 1\)/);
    assert.deepEqual((await activities.sweepUnappliedPayments(input())).repairs, []);
    assert.equal(alertsAbout(`payment ${payment.id}`).length, 1);
    await pool().query(sql.unsafe`UPDATE payments SET applied_at = now() WHERE id = ${payment.id}`);
  });

  it('asks the workflow of an active subscription whose client record is lost to bring it back, once', async () => {
    await stack.run(async () => {
      const { user, subscription, payment } = await paidOrder();
      const handle = await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId: subscriptionWorkflowId(subscription.id),
        taskQueue: stack.taskQueue,
        args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: payment.id }],
      });
      await eventually(async () => ((await handle.query(getStateQuery)).phase === 'active' ? true : undefined), 20_000, 'active');
      const before = await getSubscription(pool(), subscription.id);
      // The client's record is lost (a crash between the panel call and the write).
      await pool().query(sql.unsafe`
        UPDATE subscriptions SET vpn_key = NULL, qr_code = NULL, xui_client_uuid = NULL, xui_email = NULL, xui_sub_id = NULL WHERE id = ${subscription.id}
      `);
      await settle();
      const first = await activities.sweepClientlessSubscriptions(input());
      assert.deepEqual(first.repairs, [{ entityId: subscription.id, attempt: 1, outcome: 'ensure-client-signalled' }]);
      const repaired = await eventually(
        async () => {
          const row = await getSubscription(pool(), subscription.id);
          return row?.vpn_key ? row : undefined;
        },
        20_000,
        'client recorded again',
      );
      assert.equal(repaired.vpn_key, before?.vpn_key, 'the same key');
      assert.equal(repaired.server_id, before?.server_id);
      assert.equal(stack.panel.state.clients().filter(({ client }) => client['email'] === before?.xui_email).length, 1, 'one panel client');
      assert.equal(await countAuditLogs(pool(), { action: 'sweep.ensure_client', entityId: subscription.id }), 1);
      const [alert, ...more] = alertsAbout(`subscription ${subscription.id}`);
      assert.equal(more.length, 0);
      assert.match(alert ?? '', /orphan_repaired/);
      assert.match(alert ?? '', /has no key, client identity recorded/);

      const second = await activities.sweepClientlessSubscriptions(input());
      assert.deepEqual(second.repairs, []);
      assert.equal(second.resolved, 1);
      assert.equal(alertsAbout(`subscription ${subscription.id}`).length, 1);
      await handle.terminate('test over');
    });
  });

  it('completes a cancelled payment the provider says succeeded late, hands it off once, and leaves a true cancel alone', async () => {
    await stack.run(async () => {
      const user = await newUser(pool());
      const orders = [];
      for (const outcome of ['paid-late', 'really-cancelled'] as const) {
        const subscription = await createPendingSubscription(pool(), { userId: user.id, planId: 1, actor: testActor });
        const payment = await newPayment(pool(), { userId: user.id, subscriptionId: subscription.id });
        const provider = stack.deps.payments?.providers.byName.yookassa;
        assert.ok(provider);
        const invoice = await provider.createInvoice({
          orderId: payment.id,
          amountKopecks: 24_900n,
          currency: 'RUB',
          description: `order ${payment.id}`,
          method: 'card',
          returnUrl: 'https://t.me/test_bot',
          idempotencyKey: `payment-${payment.id}-attempt-1`,
        });
        await setPaymentExternalId(pool(), { paymentId: payment.id, externalId: invoice.externalId, actor: testActor });
        // Our timeout cancelled it; then the payer paid (or the provider cancelled it too).
        await markPaymentCancelled(pool(), { paymentId: payment.id, actor: testActor, reason: 'timeout' });
        if (outcome === 'paid-late') yookassa.controls.pay(invoice.externalId);
        else yookassa.controls.cancel(invoice.externalId);
        orders.push({ subscription, payment });
      }
      const [late, cancelled] = orders;
      assert.ok(late && cancelled);
      await settle();
      const first = await activities.sweepLateProviderSuccesses(input());
      assert.deepEqual(
        [...first.repairs].sort((a, b) => a.entityId - b.entityId),
        [
          { entityId: late.payment.id, attempt: 1, outcome: 'completed-and-handed-off' },
          { entityId: cancelled.payment.id, attempt: 1, outcome: 'still-cancelled' },
        ].sort((a, b) => a.entityId - b.entityId),
      );
      assert.equal((await getPayment(pool(), late.payment.id))?.status, 'completed');
      assert.equal((await getPayment(pool(), cancelled.payment.id))?.status, 'cancelled');
      await eventually(
        async () => ((await getPayment(pool(), late.payment.id))?.applied_at ? true : undefined),
        20_000,
        'late payment applied',
      );
      await eventually(async () => ((await keyMessages(user.id)).length > 0 ? true : undefined), 20_000, 'key sent');
      assert.equal(await countAuditLogs(pool(), { action: 'sweep.late_success_completed', entityId: late.payment.id }), 1);
      assert.equal(await countAuditLogs(pool(), { action: 'payment.completed', entityId: late.payment.id }), 1);
      assert.equal(alertsAbout(`payment ${late.payment.id}`).length, 1);
      assert.equal(alertsAbout(`payment ${cancelled.payment.id}`).length, 0, 'a true cancel is no alert');

      const second = await activities.sweepLateProviderSuccesses(input());
      assert.deepEqual(second.repairs, [], 'the late one is settled, the cancelled one waits for its backoff');
      assert.equal(second.resolved, 1);
      assert.equal((await keyMessages(user.id)).length, 1, 'the key is sent once');
      assert.equal(await countAuditLogs(pool(), { action: 'payment.completed', entityId: late.payment.id }), 1);
      await stack.temporal.client.workflow.getHandle(subscriptionWorkflowId(late.subscription.id)).terminate('test over');
    });
  });

  it('caps each run at its limit and backs off per orphan: retried after its backoff, which doubles', async () => {
    // Three cancelled payments the provider also says are cancelled: checked, never completed.
    const user = await newUser(pool());
    const ids: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const payment = await newPayment(pool(), { userId: user.id });
      await setPaymentExternalId(pool(), { paymentId: payment.id, externalId: `missing-at-provider-${payment.id}`, actor: testActor });
      await markPaymentCancelled(pool(), { paymentId: payment.id, actor: testActor, reason: 'timeout' });
      ids.push(payment.id);
    }
    await settle();
    const first = await activities.sweepLateProviderSuccesses(input({ limit: 2 }));
    const second = await activities.sweepLateProviderSuccesses(input({ limit: 2 }));
    const third = await activities.sweepLateProviderSuccesses(input({ limit: 2 }));
    const mine = (report: typeof first) => report.repairs.filter((repair) => ids.includes(repair.entityId));
    assert.equal(mine(first).length, 2, 'at most the limit per run');
    assert.deepEqual(
      mine(second).map((repair) => repair.entityId),
      ids.filter((id) => !mine(first).some((repair) => repair.entityId === id)),
    );
    assert.deepEqual(mine(third), [], 'the rest wait for their backoff');
    for (const repair of [...mine(first), ...mine(second)]) assert.match(repair.outcome, /^failed:PAYMENT_NOT_FOUND$|^still-/);

    // The backoff of one is over: attempt 2, with the next one twice as far away.
    const [retried] = ids;
    await pool().query(
      sql.unsafe`UPDATE orphan_repairs SET next_at = now() WHERE sweep = 'cancelled_payment_late_success' AND entity_id = ${retried ?? 0}`,
    );
    const again = mine(await activities.sweepLateProviderSuccesses(input()));
    assert.deepEqual(
      again.map((repair) => [repair.entityId, repair.attempt]),
      [[retried, 2]],
    );
    const row = (await listOrphanRepairs(pool(), 'cancelled_payment_late_success')).find((repair) => repair.entity_id === retried);
    const waitSeconds = ((row?.next_at.getTime() ?? 0) - (row?.last_at.getTime() ?? 0)) / 1000;
    assert.ok(waitSeconds > 590 && waitSeconds < 610, `second backoff about 10 minutes, was ${waitSeconds} s`);
    for (const id of ids) assert.equal((await getPayment(pool(), id))?.status, 'cancelled');
  });

  it('runs every sweep from the orphan-sweep workflow the Schedule starts', async () => {
    const definition = fleetSchedules({
      ...testScheduleSettings(stack.taskQueue),
      orphanSweep: { intervalSeconds: 180, olderThanSeconds: 1, limitPerSweep: 10 },
    }).find((schedule) => schedule.scheduleId === ScheduleId.orphanSweep);
    assert.ok(definition);
    await stack.run(async () => {
      const { user, payment } = await paidOrder();
      await settle();
      const workflowId = `orphan-sweep-test-${payment.id}`;
      const result = await stack.temporal.client.workflow.execute<typeof orphanSweepWorkflow>(definition.workflowType, {
        workflowId,
        taskQueue: stack.taskQueue,
        args: definition.args as Parameters<typeof orphanSweepWorkflow>,
      });
      assert.deepEqual(result.failed, []);
      assert.deepEqual(
        result.reports.map((report) => report.sweep),
        ['payment_unapplied', 'cancelled_payment_late_success', 'subscription_without_client'],
      );
      assert.deepEqual(result.reports[0]?.repairs, [{ entityId: payment.id, attempt: 1, outcome: 'handed-off' }]);
      await maybeRecordHistory(stack.temporal.client, workflowId, 'orphan-sweep-payment-handed-off');
      await eventually(async () => ((await keyMessages(user.id)).length > 0 ? true : undefined), 20_000, 'key sent');
      await stack.temporal.client.workflow.getHandle(subscriptionWorkflowId(payment.subscription_id ?? 0)).terminate('test over');
    });
  });
});
