/**
 * The free trial and the operator commands end to end: the real grammY bot with the real
 * services (Postgres, the Temporal client) against the fake Telegram, and a worker with every
 * real activity, the fake 3X-UI panel and the real Temporal dev server (test/support/real-stack).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTrialService } from './start-trial';
import { getSubscription, listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, newUser } from '../test/support/db-fixtures';
import { getUserByTelegramId } from '../sql/repositories/users-repository';
import { startRealStack, type RealStack } from '../test/support/real-stack';
import { eventually } from '../test/support/test-temporal';
import { subscriptionWorkflowId } from '../workflows/contract';
import { getStateQuery } from '../workflows/subscription-messages';
import { runBot } from '../test/support/bot-test-kit';
import { createBotServices } from '../bot/create-bot-services';
import { en } from '../bot/locales';
import { adminEn } from '../bot/locales/admin-en';
import { createOperatorActions } from './operator-actions';
import type { OperatorActions } from './operator-types';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('trial and operator commands on the real stack', () => {
  let stack: RealStack;
  let operator: OperatorActions;
  const base = 8_000_000 + Math.floor(Math.random() * 1_000_000);
  const admin = { id: base, first_name: 'Op', language_code: 'en' };

  before(async () => {
    stack = await startRealStack();
    operator = createOperatorActions({ client: stack.temporal.client, db: stack.database.pool });
  });
  after(async () => {
    await stack?.close();
  });

  /** The worker and the bot (admin: `admin`), both running during `body`. */
  const withStack = (body: () => Promise<void>) =>
    stack.run(() =>
      runBot(
        stack.telegram,
        {
          services: createBotServices({
            db: stack.database.pool,
            adminTelegramIds: [admin.id],
            paymentMethods: [],
            trial: createTrialService({ db: stack.database.pool, client: stack.temporal.client, taskQueue: stack.taskQueue, trialDays: 3 }),
          }),
          operator,
        },
        body,
      ),
    );

  /** Sends `text` as `user` and waits for the bot's next message to them that matches (earlier ones do not count). */
  const ask = async (user: { id: number; language_code?: string }, text: string, match: (reply: string) => boolean) => {
    const seen = new Set(stack.telegram.sent(user.id));
    stack.telegram.userSends(user, text);
    const call = await stack.telegram.waitFor(
      (candidate) =>
        !seen.has(candidate) &&
        candidate.method === 'sendMessage' &&
        candidate.ok &&
        candidate.chatId === user.id &&
        match(String(candidate.params['text'])),
      20_000,
    );
    return String(call.params['text']);
  };

  const clientsOf = (email: string | null) => stack.panel.state.clients().filter(({ client }) => client['email'] === email);

  /** A user who took the trial and whose key was delivered; returns the provisioned subscription. */
  async function trialUser(telegramId: number) {
    const user = { id: telegramId, first_name: 'Ann', language_code: 'en' };
    await ask(user, '/start', (text) => text.startsWith('Hi, Ann!'));
    await ask(user, '/trial', (text) => text === en.trialStarted(3));
    const photo = await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === telegramId, 20_000);
    assert.equal(photo.ok, true, 'the key arrives in Telegram');
    const row = await getUserByTelegramId(stack.database.pool, telegramId);
    assert.ok(row !== null);
    const [subscription, ...others] = await listUserSubscriptions(stack.database.pool, row.id);
    assert.ok(subscription !== undefined);
    assert.deepEqual(others, []);
    const state = await eventually(async () => {
      const current = await stack.temporal.client.workflow.getHandle(subscriptionWorkflowId(subscription.id)).query(getStateQuery);
      return current.phase === 'active' ? current : undefined;
    });
    assert.equal(state.serverId, stack.server.id);
    const provisioned = await getSubscription(stack.database.pool, subscription.id);
    assert.ok(provisioned !== null);
    return { user, userId: row.id, subscription: provisioned };
  }

  it('/trial provisions a key on the panel once, and a second /trial is refused', async () => {
    await withStack(async () => {
      const { user, userId, subscription } = await trialUser(base + 1);
      assert.equal(subscription.status, 'active');
      const daysLeft = ((subscription.end_date?.getTime() ?? 0) - Date.now()) / DAY_MS;
      assert.ok(daysLeft > 2.9 && daysLeft <= 3, `a 3-day period (${daysLeft})`);
      assert.equal(clientsOf(subscription.xui_email).length, 1, 'exactly one panel client');
      assert.notEqual((await getUserByTelegramId(stack.database.pool, user.id))?.trial_used_at, null);

      await ask(user, '/trial', (text) => text === en.trialRefused['already-used']);
      assert.equal((await listUserSubscriptions(stack.database.pool, userId)).length, 1, 'no second subscription');
    });
  });

  it('/extend moves the end date once per request; /sub and /user show it without the key', async () => {
    await withStack(async () => {
      const { user, subscription } = await trialUser(base + 2);
      const before = subscription.end_date?.getTime() ?? 0;

      const reply = await ask(admin, `/extend ${subscription.id} 10`, (text) =>
        text.startsWith(`Subscription ${subscription.id} now ends`),
      );
      const extended = await getSubscription(stack.database.pool, subscription.id);
      assert.equal((extended?.end_date?.getTime() ?? 0) - before, 10 * DAY_MS);
      assert.equal(reply, en.operator.extended(subscription.id, extended?.end_date?.toISOString() ?? null));
      assert.equal(clientsOf(subscription.xui_email)[0]?.client['expiryTime'], extended?.end_date?.getTime(), 'the panel follows');

      // A redelivered Telegram update carries the same request id: it applies once.
      const request = { subscriptionId: subscription.id, operatorTelegramId: admin.id, requestId: `tg-retry-${subscription.id}`, days: 5 };
      const first = await operator.extend(request);
      const second = await operator.extend(request);
      assert.deepEqual(second, first);
      const once = await getSubscription(stack.database.pool, subscription.id);
      assert.equal((once?.end_date?.getTime() ?? 0) - before, 15 * DAY_MS);

      const summary = await ask(admin, `/sub ${subscription.id}`, (text) => text.startsWith(`Subscription ${subscription.id} (user`));
      assert.match(summary, /Status: active; workflow: active/);
      assert.match(summary, /Server: NL-1/);
      for (const secret of [subscription.vpn_key ?? 'vless://', subscription.sub_token, 'vless://'])
        assert.ok(!summary.includes(secret), 'no key or token');

      const account = await ask(admin, `/user ${user.id}`, (text) => text.startsWith('User '));
      assert.match(account, new RegExp(`• #${subscription.id} active`));
      assert.match(account, /trial: used/);
    });
  });

  it("shows the workflow's refusals, a missing workflow, and cancels", async () => {
    await withStack(async () => {
      const { subscription } = await trialUser(base + 3);
      const says = (command: string, expected: string) => ask(admin, command, (text) => text === expected);
      await says(`/extend ${subscription.id} 5000`, adminEn.refusal['bad-days']);
      await says(`/refund ${subscription.id} 999`, adminEn.refusal['payment-not-applied']);
      await says(`/move ${subscription.id} ${stack.server.id}`, adminEn.refusal['same-server']);
      // One server: nowhere to move. Refused before the workflow is asked, so nothing is wedged.
      await says(`/move ${subscription.id}`, adminEn.refusal['no-other-server']);
      await says(`/move ${subscription.id} 2147483000`, adminEn.refusal['no-such-server']);
      const state = await stack.temporal.client.workflow.getHandle(subscriptionWorkflowId(subscription.id)).query(getStateQuery);
      assert.deepEqual([state.phase, state.serverId], ['active', stack.server.id], 'still active on its server');
      assert.equal(clientsOf(subscription.xui_email).length, 1, 'its client stays');
      await ask(admin, `/extend ${subscription.id} 2`, (text) => text.startsWith(`Subscription ${subscription.id} now ends `));
      await says('/extend 2147483000 3', en.operator.noWorkflow);
      await says('/sub 2147483000', en.operator.noSubscription(2_147_483_000));

      await says(`/cancel ${subscription.id}`, en.operator.cancelled(subscription.id, 'cancelled'));
      assert.equal((await getSubscription(stack.database.pool, subscription.id))?.status, 'cancelled');
      assert.equal(clientsOf(subscription.xui_email).length, 0, 'the client is removed');
      await stack.temporal.client.workflow.getHandle(subscriptionWorkflowId(subscription.id)).result();
      await says(`/extend ${subscription.id} 3`, en.operator.noWorkflow);
    });
  });

  it('startTrial ends concurrent calls on one subscription and refuses users with a subscription', async () => {
    const pool = stack.database.pool;
    const trial = createTrialService({ db: pool, client: stack.temporal.client, taskQueue: stack.taskQueue, trialDays: 3 });
    await stack.run(async () => {
      const user = await newUser(pool);
      const results = await Promise.all([trial.startTrial({ userId: user.id }), trial.startTrial({ userId: user.id })]);
      assert.deepEqual(
        results.map((result) => result.kind),
        ['started', 'started'],
      );
      const subscriptions = await listUserSubscriptions(pool, user.id);
      assert.equal(subscriptions.length, 1, 'one subscription for both calls');
      await eventually(
        async () => ((await getSubscription(pool, subscriptions[0]?.id ?? 0))?.status === 'active' ? true : undefined),
        20_000,
      );
      assert.deepEqual(await trial.startTrial({ userId: user.id }), { kind: 'refused', reason: 'already-used' });

      const paying = await newActiveSubscription(pool, { planId: 1 });
      assert.deepEqual(await trial.startTrial({ userId: paying.user_id }), { kind: 'refused', reason: 'has-subscription' });
      const off = createTrialService({ db: pool, client: stack.temporal.client, taskQueue: stack.taskQueue, trialDays: 'disabled' });
      assert.equal(off.trialDays(), null);
      assert.deepEqual(await off.startTrial({ userId: (await newUser(pool)).id }), { kind: 'refused', reason: 'unavailable' });
    });
  });

  it('tells a non-admin they are not allowed and an admin the usage of malformed commands', async () => {
    await withStack(async () => {
      const stranger = { id: base + 4, language_code: 'en' };
      await ask(stranger, '/extend 1 30', (text) => text === en.operator.notAllowed);
      await ask(admin, '/extend 1 thirty', (text) => text === en.operator.usage.extend);
      await ask(admin, '/user', (text) => text === en.operator.usage.user);
    });
  });
});
