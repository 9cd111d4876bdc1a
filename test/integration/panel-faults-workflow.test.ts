/**
 * The panel side of issue 9 with the real subscription workflow and every real activity: a paid
 * order whose first server refuses our credentials lands on a healthy server (the activity's own
 * retry, not an hour later), the user gets the key, and slot counts and clients are right; an
 * operator move then makes the new client live before the row switches and the workflow deletes
 * the old client once the move is done.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { setServerPanelCredentials } from '../../sql/repositories/server-credentials-repository';
import { getServer, recordServerHealth } from '../../sql/repositories/servers-repository';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { subscriptionWorkflowId } from '../../workflows/contract';
import { getStateQuery, moveToServerUpdate, paymentCompletedSignal } from '../../workflows/subscription-messages';
import { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { eventually } from '../support/test-temporal';
import { clientsOn, startWorkerStack, type PanelServer, type WorkerStack } from '../support/worker-stack';

describe('panel faults with the real subscription workflow', () => {
  let stack: WorkerStack;
  before(async () => {
    stack = await startWorkerStack({ lifecycle: { provisionDelayNoticeSeconds: 30 } });
  });
  after(async () => {
    await stack?.close();
  });

  const usersOn = async (server: PanelServer) => (await getServer(stack.database.pool, server.server.id))?.current_users;

  it('an order on a server refusing our credentials lands on a healthy one; an operator move deletes the old client after the switch', async (t) => {
    const pool = stack.database.pool;
    const client = stack.temporal.client;
    const a = stack.first;
    const b = await stack.addPanelServer('DE-1');
    // A (the lower id, picked first) now refuses our credentials.
    const goodPassword = (await getServer(pool, a.server.id))?.xui_password_enc ?? null;
    await setServerPanelCredentials(pool, {
      serverId: a.server.id,
      box: createSecretBox(stack.config.secretKeyHex),
      password: 'rotated-by-someone',
      actor: testActor,
    });

    await stack.run(async () => {
      const user = await newUser(pool);
      const subscription = await createPendingSubscription(pool, { userId: user.id, planId: 1, actor: testActor });
      const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
      const started = Date.now();
      const handle = await client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId: subscriptionWorkflowId(subscription.id),
        taskQueue: stack.config.taskQueue,
        args: [{ subscriptionId: subscription.id, userId: user.id, planId: 1 }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: payment.id }],
      });
      await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === user.telegram_id, 25_000);
      const keyAfterMs = Date.now() - started;
      const placed = await getSubscription(pool, subscription.id);
      assert.equal(placed?.server_id, b.server.id, 'the order went to the healthy server');
      assert.equal(placed?.server_slot_held, true);
      assert.equal(await usersOn(a), 0, 'no slot left on the server that refused us');
      assert.equal(await usersOn(b), 1);
      assert.equal(clientsOn(b, placed?.xui_email ?? null).length, 1);
      assert.equal(clientsOn(a, placed?.xui_email ?? null).length, 0);
      assert.equal((await getServer(pool, a.server.id))?.status, 'down');
      assert.ok(keyAfterMs < 25_000, `key after ${keyAfterMs} ms`);
      t.diagnostic(`key delivered ${keyAfterMs} ms after payment, first server refusing our credentials`);

      // A is fixed and seen up again; the operator moves the subscription there.
      await pool.query(sql.unsafe`UPDATE vpn_servers SET xui_password_enc = ${goodPassword} WHERE id = ${a.server.id}`);
      await recordServerHealth(pool, { serverId: a.server.id, up: true, actor: testActor });
      const moved = await handle.executeUpdate(moveToServerUpdate, { args: [{ toServerId: a.server.id, operatorTelegramId: 1 }] });
      assert.deepEqual(moved, { serverId: a.server.id });
      const row = await getSubscription(pool, subscription.id);
      assert.equal(row?.server_id, a.server.id);
      assert.equal(row?.xui_client_uuid, placed?.xui_client_uuid, 'the same identity');
      assert.equal(clientsOn(a, row?.xui_email ?? null).length, 1, 'the new client is live');
      assert.equal(clientsOn(b, row?.xui_email ?? null).length, 0, 'the workflow deleted the old client after the switch');
      assert.equal(await usersOn(a), 1);
      assert.equal(await usersOn(b), 0);
      assert.equal((await handle.query(getStateQuery)).serverId, a.server.id);
    });
  });
});
