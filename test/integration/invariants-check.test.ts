/**
 * The invariant checker wired into Temporal on the real stack: the invariants-check workflow
 * reports violations and alerts the operators once per violation and day (alertOperators, kind
 * invariant_violation, a stable key); the operator command's path returns the report. (The
 * Schedule is tested with the others in ensure-schedules.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AlertInput } from '../../activities/contracts/alert-activities';
import { createOperatorActions } from '../../usecases/operator-actions';
import { createPendingSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { ALERT_LIMIT, invariantsCheckWorkflow, violationAlertKey } from '../../workflows/invariants-workflow';
import { startRealStack, type RealStack } from '../support/real-stack';

describe('invariants-check on the real stack', () => {
  let stack: RealStack;
  before(async () => {
    stack = await startRealStack();
  });
  after(async () => {
    await stack?.close();
  });

  async function alertsOf(workflowId: string): Promise<AlertInput[]> {
    const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const alerts: AlertInput[] = [];
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'alertOperators') continue;
      const payload = scheduled.input?.payloads?.[0]?.data;
      assert.ok(payload);
      alerts.push(JSON.parse(Buffer.from(payload).toString('utf8')) as AlertInput);
    }
    return alerts;
  }

  it('passes on a clean stack and alerts nothing', async () => {
    const workflowId = `invariants-clean-${Date.now()}`;
    const report = await stack.run(() =>
      stack.temporal.client.workflow.execute(invariantsCheckWorkflow, {
        workflowId,
        taskQueue: stack.taskQueue,
        args: [{ settleSeconds: 0 }],
      }),
    );
    assert.equal(report.ok, true);
    assert.deepEqual(await alertsOf(workflowId), []);
  });

  it('reports an unapplied payment and alerts it with a per-day key; the operator path returns the same report', async () => {
    const pool = stack.database.pool;
    const user = await newUser(pool);
    const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    const workflowId = `invariants-broken-${Date.now()}`;
    const report = await stack.run(() =>
      stack.temporal.client.workflow.execute(invariantsCheckWorkflow, {
        workflowId,
        taskQueue: stack.taskQueue,
        args: [{ settleSeconds: 0 }],
      }),
    );
    assert.equal(report.ok, false);
    const violation = report.violations.find((entry) => entry.paymentId === payment.id);
    assert.equal(violation?.kind, 'payment_unapplied');
    const alerts = await alertsOf(workflowId);
    assert.equal(alerts.length, report.violations.length);
    const day = new Date().toISOString().slice(0, 10);
    const alert = alerts.find((entry) => entry.paymentId === payment.id);
    assert.equal(alert?.kind, 'invariant_violation');
    assert.equal(alert?.key, violationAlertKey(violation, day));
    assert.equal(alert?.key, `invariant_violation:payment_unapplied:s${subscription.id}p${payment.id}u${user.id}:${day}`);

    const operator = createOperatorActions({
      client: stack.temporal.client,
      db: pool,
      taskQueue: stack.taskQueue,
      invariantsSettleSeconds: 0,
      updateWaitMs: 30_000,
    });
    assert.ok(operator.checkInvariants);
    const requestId = `tg-${Date.now()}`;
    const viaOperator = await stack.run(
      () => operator.checkInvariants?.({ operatorTelegramId: 1, requestId }) ?? Promise.reject(new Error('absent')),
    );
    assert.equal(viaOperator.ok, true);
    assert.deepEqual(
      viaOperator.ok && viaOperator.value.violations.map((entry) => entry.kind),
      report.violations.map((entry) => entry.kind),
    );
    assert.deepEqual(await alertsOf(`invariants-request-${requestId}`), [], 'an operator run only reports');
    assert.equal(createOperatorActions({ client: stack.temporal.client, db: pool }).checkInvariants, undefined);
  });

  it(`alerts at most ${ALERT_LIMIT} violations one by one and the rest in one summary per day`, async () => {
    const pool = stack.database.pool;
    for (let index = 0; index < ALERT_LIMIT + 1; index += 1) {
      const user = await newUser(pool);
      const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
      await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    }
    const workflowId = `invariants-many-${Date.now()}`;
    const report = await stack.run(() =>
      stack.temporal.client.workflow.execute(invariantsCheckWorkflow, {
        workflowId,
        taskQueue: stack.taskQueue,
        args: [{ settleSeconds: 0 }],
      }),
    );
    assert.ok(report.violations.length > ALERT_LIMIT);
    const alerts = await alertsOf(workflowId);
    assert.equal(alerts.length, ALERT_LIMIT + 1);
    assert.equal(alerts.at(-1)?.key, `invariant_violation:more:${new Date().toISOString().slice(0, 10)}`);
    assert.match(alerts.at(-1)?.summary ?? '', new RegExp(`^${report.violations.length - ALERT_LIMIT} more invariant violation`));
  });
});
