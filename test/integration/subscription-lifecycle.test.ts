/**
 * The subscription workflow with every real activity on the real Temporal dev server, real
 * Postgres, the fake 3X-UI panel and the fake Telegram: a paid order gets exactly one panel
 * client and the key arrives in Telegram; a panel outage delays the key (the user is told) but
 * never loses the order; cancelling removes the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPanelActivities } from '../../activities/panel-activities';
import { getSubscription } from '../../sql/repositories/subscriptions-repository';
import { getUserById } from '../../sql/repositories/users-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { createPendingSubscription } from '../../sql/repositories/subscriptions-repository';
import { subscriptionWorkflowId } from '../../workflows/contract';
import { cancelUpdate, getStateQuery, paymentCompletedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { startRealStack, type RealStack } from '../support/real-stack';
import { eventually } from '../support/test-temporal';

describe('subscription lifecycle on the real stack', () => {
  let stack: RealStack;
  before(async () => {
    stack = await startRealStack({ lifecycle: { provisionDelayNoticeSeconds: 1 } });
  });
  after(async () => {
    await stack?.close();
  });

  async function paidOrder() {
    const pool = stack.database.pool;
    const user = await newUser(pool);
    const planId = 1;
    const subscription = await createPendingSubscription(pool, { userId: user.id, planId, actor: testActor });
    const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
    return { user, subscription, payment, planId };
  }

  const clientsOf = (email: string | null) => stack.panel.state.clients().filter(({ client }) => client['email'] === email);

  it('delivers the key for a paid order once, even with the payment signalled twice, and cancels cleanly', async () => {
    await stack.run(async () => {
      const { user, subscription, payment, planId } = await paidOrder();
      const telegramId = (await getUserById(stack.database.pool, user.id))?.telegram_id;
      const handle = await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId: subscriptionWorkflowId(subscription.id),
        taskQueue: stack.taskQueue,
        args: [{ subscriptionId: subscription.id, userId: user.id, planId }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: payment.id }],
      });
      await handle.signal(paymentCompletedSignal, { paymentId: payment.id });
      const photo = await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === telegramId, 20_000);
      assert.equal(photo.ok, true);
      const state = await eventually(async () => {
        const current = await handle.query(getStateQuery);
        return current.phase === 'active' ? current : undefined;
      });
      assert.equal(state.serverId, stack.server.id);
      const row = await getSubscription(stack.database.pool, subscription.id);
      assert.equal(row?.status, 'active');
      assert.match(row?.vpn_key ?? '', /^vless:\/\//);
      const clients = clientsOf(row?.xui_email ?? null);
      assert.equal(clients.length, 1, 'exactly one panel client');
      assert.equal(clients[0]?.client['expiryTime'], row?.end_date?.getTime());
      assert.equal(stack.telegram.sent(telegramId).filter((call) => call.method === 'sendPhoto').length, 1, 'the key is sent once');

      const final = await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      assert.equal(final.phase, 'cancelled');
      assert.equal(clientsOf(row?.xui_email ?? null).length, 0, 'the client is removed');
      assert.equal((await getSubscription(stack.database.pool, subscription.id))?.status, 'cancelled');
      await handle.result();
    });
  });

  it('tells the user the key is delayed while the panel is down and delivers it when it recovers', async () => {
    await stack.run(async () => {
      const { user, subscription, payment, planId } = await paidOrder();
      const telegramId = (await getUserById(stack.database.pool, user.id))?.telegram_id;
      stack.panel.controls.setDown(true, '503');
      const handle = await stack.temporal.client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId: subscriptionWorkflowId(subscription.id),
        taskQueue: stack.taskQueue,
        args: [{ subscriptionId: subscription.id, userId: user.id, planId }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: payment.id }],
      });
      const notice = await stack.telegram.waitFor((call) => call.method === 'sendMessage' && call.chatId === telegramId, 20_000);
      assert.equal(notice.ok, true);
      assert.equal(
        stack.telegram.sent(telegramId).filter((call) => call.method === 'sendPhoto').length,
        0,
        'no key while the panel is down',
      );
      assert.equal((await handle.query(getStateQuery)).phase, 'provisioning');
      stack.panel.controls.setDown(false);
      // The failed attempt marked the server down; new orders wait for the health probe to see it up.
      assert.equal((await createPanelActivities(stack.deps).probePanel({ serverId: stack.server.id })).up, true);
      await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === telegramId, 30_000);
      const row = await getSubscription(stack.database.pool, subscription.id);
      assert.equal(clientsOf(row?.xui_email ?? null).length, 1);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });
});
