/**
 * The paths the crash suite drives, each as a user, a provider, an operator or a timer would:
 * purchases through every provider, the trial, auto-renewal, an operator's extension, a move, a
 * refund, expiry and a payment in grace. Setups build fresh data per run (nothing injected there); paths that act on
 * a running subscription start its workflow as it stands after the purchase (phase active, the
 * period in the database), so each run takes seconds, not a paid month.
 */
import assert from 'node:assert/strict';
import { sql } from 'slonik';
import { z } from 'zod';
import { creditBalance, getBalance } from '../../sql/repositories/ledger-repository';
import { newPayment, newUser, testActor } from '../support/db-fixtures';
import { createPendingSubscription, getSubscription } from '../../sql/repositories/subscriptions-repository';
import { setAutoRenew } from '../../sql/repositories/users-repository';
import type { UserRow } from '../../sql/schemas/user-row';
import { subscriptionWorkflowId } from '../../workflows/contract';
import { DEFAULT_LIFECYCLE_SETTINGS, initialState, type LifecycleSettings } from '../../workflows/subscription-lifecycle';
import { paymentCompletedSignal } from '../../workflows/subscription-messages';
import type { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { eventually } from '../support/test-temporal';
import type { CrashPath } from './crash-matrix';
import type { CrashStack } from './crash-stack';

const DAY_MS = 86_400_000;
const idRow = z.object({ id: z.number() });
const countRow = z.object({ count: z.number() });

/** Whether a message of one of `kinds` for the subscription was recorded as sent. */
async function messageSent(stack: CrashStack, subscriptionId: number, kinds: readonly string[]): Promise<boolean> {
  return stack.real.database.pool.exists(sql.unsafe`
    SELECT 1 FROM notifications
    WHERE type = ANY(${sql.array([...kinds], 'text')}) AND status = 'sent' AND data->>'subscriptionId' = ${String(subscriptionId)}
  `);
}

/** The user's newest subscription id, or null. */
async function latestSubscriptionId(stack: CrashStack, userId: number): Promise<number | null> {
  return stack.real.database.pool.maybeOneFirst(
    sql.type(idRow)`SELECT max(id) AS id FROM subscriptions WHERE user_id = ${userId} HAVING max(id) IS NOT NULL`,
  );
}

/** The user's newest payment. */
async function latestPaymentId(stack: CrashStack, userId: number): Promise<number> {
  return stack.real.database.pool.oneFirst(sql.type(idRow)`SELECT max(id) AS id FROM payments WHERE user_id = ${userId}`);
}

/** A purchase is done when the key was delivered for an active subscription. */
async function keyDelivered(stack: CrashStack, userId: number, kind: 'key_delivered' | 'trial_started'): Promise<boolean> {
  const subscriptionId = await latestSubscriptionId(stack, userId);
  if (subscriptionId === null) return false;
  const row = await getSubscription(stack.real.database.pool, subscriptionId);
  return row?.status === 'active' && (await messageSent(stack, subscriptionId, [kind]));
}

/** How a purchase is paid. */
export type PurchaseMethod = 'card' | 'crypto' | 'stars' | 'balance';

/** A user buys the month plan with `method` and the provider says paid. */
export function purchasePath(method: PurchaseMethod): CrashPath<{ user: UserRow }> {
  const names = { card: 'purchase/yookassa', crypto: 'purchase/cryptopay', stars: 'purchase/stars', balance: 'purchase/balance' } as const;
  return {
    name: names[method],
    expectation: 'an active subscription and its key_delivered message sent',
    keyPhotos: 1,
    chatId: ({ user }) => user.telegram_id,
    async setup(stack) {
      const user = await newUser(stack.real.database.pool);
      if (method === 'balance') {
        await creditBalance(stack.real.database.pool, {
          userId: user.id,
          amount: '249.00',
          reason: 'top_up',
          idempotencyKey: `crash-topup-${user.id}`,
          actor: testActor,
        });
      }
      return { user };
    },
    async drive(stack, { user }) {
      const start = await stack.purchases.startPurchase({ userId: user.id, planId: stack.planId, method });
      const pool = stack.real.database.pool;
      if (method === 'balance') {
        assert.equal(start.kind, 'done');
        return;
      }
      if (method === 'stars') {
        assert.ok(start.kind === 'stars-invoice', `startPurchase: ${JSON.stringify(start)}`);
        const outcome = await stack.real.telegram.userPays({ id: user.telegram_id, first_name: 'Crash' }, start.payload, {
          totalAmount: start.stars,
        });
        assert.equal(outcome.status, 'paid');
        return;
      }
      assert.ok(start.kind === 'redirect', `startPurchase: ${JSON.stringify(start)}`);
      const payment = await pool.one(
        sql.type(
          z.object({ external_id: z.string().nullable() }),
        )`SELECT external_id FROM payments WHERE id = ${await latestPaymentId(stack, user.id)}`,
      );
      assert.ok(payment.external_id);
      if (method === 'card') stack.yookassa?.controls.pay(payment.external_id);
      else stack.cryptopay?.controls.pay(Number(payment.external_id));
    },
    done: (stack, { user }) => keyDelivered(stack, user.id, 'key_delivered'),
    async verify(stack, { user }) {
      const paymentId = await latestPaymentId(stack, user.id);
      const status = await stack.real.database.pool.oneFirst(
        sql.type(z.object({ status: z.string() }))`SELECT status FROM payments WHERE id = ${paymentId}`,
      );
      return status === 'completed' ? [] : [`payment ${paymentId} is ${status}, not completed`];
    },
  };
}

/** A user takes the free trial. */
export function trialPath(): CrashPath<{ user: UserRow }> {
  return {
    name: 'trial',
    expectation: 'an active subscription and its trial_started message sent',
    keyPhotos: 1,
    chatId: ({ user }) => user.telegram_id,
    setup: async (stack) => ({ user: await newUser(stack.real.database.pool) }),
    async drive(stack, { user }) {
      const started = await stack.trial.startTrial({ userId: user.id });
      assert.equal(started.kind, 'started');
    },
    done: (stack, { user }) => keyDelivered(stack, user.id, 'trial_started'),
  };
}

/** A paid, provisioned subscription whose user got the key, not yet run by a workflow. */
export interface ActiveSubscription {
  user: UserRow;
  subscriptionId: number;
  paymentId: number;
  endsAt: Date;
  serverId: number;
  settings: LifecycleSettings;
  /** Start with this period's auto-renewal already tried (no tryAutoRenew call, whatever the timing). */
  autoRenewTried: boolean;
}

/**
 * Builds a subscription as a purchase leaves it (payment applied, client provisioned on the
 * stack's first server, key delivered), with the period ending `endsInMs` from now (default 30
 * days). The activities run directly, outside any workflow.
 */
async function seedActive(
  stack: CrashStack,
  options: {
    endsInMs?: number;
    balance?: string;
    autoRenew?: boolean;
    autoRenewTried?: boolean;
    settings?: Partial<LifecycleSettings>;
  } = {},
): Promise<ActiveSubscription> {
  const pool = stack.real.database.pool;
  const user = await newUser(pool);
  const subscription = await createPendingSubscription(pool, { userId: user.id, planId: stack.planId, actor: testActor });
  const payment = await newPayment(pool, { userId: user.id, subscriptionId: subscription.id, completed: true });
  await stack.activities.applyPayment({ subscriptionId: subscription.id, paymentId: payment.id });
  await pool.query(sql.unsafe`UPDATE subscriptions SET server_id = ${stack.real.server.id} WHERE id = ${subscription.id}`);
  if (options.endsInMs !== undefined) {
    await pool.query(sql.unsafe`
      UPDATE subscriptions SET start_date = now() - interval '1 day', end_date = now() + make_interval(secs => ${options.endsInMs / 1000}) WHERE id = ${subscription.id}`);
  }
  await stack.activities.provisionClient({ subscriptionId: subscription.id });
  await stack.activities.notifyUser({
    userId: user.id,
    subscriptionId: subscription.id,
    kind: 'key_delivered',
    key: `key_delivered:${subscription.id}:seed`,
    withQr: true,
  });
  if (options.balance !== undefined) {
    await creditBalance(pool, {
      userId: user.id,
      amount: options.balance,
      reason: 'top_up',
      idempotencyKey: `crash-topup-${user.id}`,
      actor: testActor,
    });
  }
  if (options.autoRenew === true) await setAutoRenew(pool, { userId: user.id, enabled: true, actor: testActor });
  const row = await getSubscription(pool, subscription.id);
  assert.ok(row?.end_date && row.server_id !== null);
  return {
    user,
    subscriptionId: subscription.id,
    paymentId: payment.id,
    endsAt: row.end_date,
    serverId: row.server_id,
    settings: { ...DEFAULT_LIFECYCLE_SETTINGS, ...options.settings },
    autoRenewTried: options.autoRenewTried === true,
  };
}

/** Starts `subscription-{id}` as it runs after the purchase: phase active, this period, this server. */
async function startActiveWorkflow(stack: CrashStack, seeded: ActiveSubscription): Promise<void> {
  await stack.real.temporal.client.workflow.start<typeof subscriptionWorkflow>('subscriptionWorkflow', {
    workflowId: subscriptionWorkflowId(seeded.subscriptionId),
    taskQueue: stack.real.taskQueue,
    args: [
      {
        subscriptionId: seeded.subscriptionId,
        userId: seeded.user.id,
        planId: stack.planId,
        state: {
          ...initialState(seeded.settings),
          phase: 'active',
          endsAt: seeded.endsAt.toISOString(),
          serverId: seeded.serverId,
          seenPaymentIds: [seeded.paymentId],
          autoRenewTriedFor: seeded.autoRenewTried ? seeded.endsAt.toISOString() : null,
        },
      },
    ],
  });
}

async function endDateOf(stack: CrashStack, subscriptionId: number): Promise<Date | null> {
  return (await getSubscription(stack.real.database.pool, subscriptionId))?.end_date ?? null;
}

/** A subscription path that starts from a running, active subscription. */
function activePath(
  name: string,
  seed: Parameters<typeof seedActive>[1],
  rest: Omit<CrashPath<ActiveSubscription>, 'name' | 'setup' | 'chatId'>,
): CrashPath<ActiveSubscription> {
  return { name, setup: (stack) => seedActive(stack, seed), chatId: ({ user }) => user.telegram_id, ...rest };
}

/** Auto-renewal from the balance, due now: the balance pays the next month. */
export function renewalPath(): CrashPath<ActiveSubscription> {
  return activePath(
    'renewal',
    { endsInMs: 2 * DAY_MS, balance: '300.00', autoRenew: true, settings: { autoRenewLeadHours: 72, reminderOffsetsHours: [] } },
    {
      expectation: 'a second (balance) payment applied and the auto_renewed message sent',
      drive: startActiveWorkflow,
      done: (stack, seeded) => messageSent(stack, seeded.subscriptionId, ['auto_renewed']),
      async verify(stack, seeded) {
        const problems: string[] = [];
        const end = await endDateOf(stack, seeded.subscriptionId);
        if (end?.getTime() !== seeded.endsAt.getTime() + 30 * DAY_MS)
          problems.push(`end date ${end?.toISOString()} is not the old end + 30 days`);
        const balance = await getBalance(stack.real.database.pool, seeded.user.id);
        if (balance !== '51.00') problems.push(`balance ${balance}, expected 51.00 (300.00 - 249.00 once)`);
        return problems;
      },
    },
  );
}

/** An operator extends the subscription by 7 days. */
export function extendPath(): CrashPath<ActiveSubscription> {
  let request = 0;
  return activePath(
    'operator-extend',
    {},
    {
      expectation: 'the extend update answered and the renewed message sent',
      async drive(stack, seeded) {
        await startActiveWorkflow(stack, seeded);
        request += 1;
        const result = await stack.operator.extend({
          subscriptionId: seeded.subscriptionId,
          days: 7,
          requestId: `crash-extend-${seeded.subscriptionId}-${request}`,
          operatorTelegramId: 1,
        });
        assert.ok(result.ok, JSON.stringify(result));
      },
      done: (stack, seeded) => messageSent(stack, seeded.subscriptionId, ['renewed']),
      async verify(stack, seeded) {
        const end = await endDateOf(stack, seeded.subscriptionId);
        return end?.getTime() === seeded.endsAt.getTime() + 7 * DAY_MS
          ? []
          : [`end date ${end?.toISOString()} is not the old end + 7 days`];
      },
    },
  );
}

/** An operator moves the subscription to the stack's second server. */
export function movePath(toServerId: () => number): CrashPath<ActiveSubscription> {
  return activePath(
    'move',
    {},
    {
      expectation: 'the subscription on the new server and the moved message sent',
      keyPhotos: 1,
      async drive(stack, seeded) {
        await startActiveWorkflow(stack, seeded);
        const result = await stack.operator.move({
          subscriptionId: seeded.subscriptionId,
          toServerId: toServerId(),
          requestId: `crash-move-${seeded.subscriptionId}`,
          operatorTelegramId: 1,
        });
        assert.ok(result.ok, JSON.stringify(result));
      },
      async done(stack, seeded) {
        const row = await getSubscription(stack.real.database.pool, seeded.subscriptionId);
        return row?.server_id === toServerId() && (await messageSent(stack, seeded.subscriptionId, ['moved']));
      },
    },
  );
}

/** An operator refunds the purchase to the balance, which ends the subscription. */
export function refundPath(): CrashPath<ActiveSubscription> {
  return activePath(
    'refund',
    {},
    {
      expectation: 'the payment refunded, the subscription cancelled and the refunded message sent',
      async drive(stack, seeded) {
        await startActiveWorkflow(stack, seeded);
        const result = await stack.operator.refund({
          subscriptionId: seeded.subscriptionId,
          paymentId: seeded.paymentId,
          requestId: `crash-refund-${seeded.subscriptionId}`,
          operatorTelegramId: 1,
        });
        assert.ok(result.ok, JSON.stringify(result));
      },
      async done(stack, seeded) {
        const row = await getSubscription(stack.real.database.pool, seeded.subscriptionId);
        return row?.status === 'cancelled' && (await messageSent(stack, seeded.subscriptionId, ['refunded']));
      },
      async verify(stack, seeded) {
        const pool = stack.real.database.pool;
        const problems: string[] = [];
        const balance = await getBalance(pool, seeded.user.id);
        if (balance !== '249.00') problems.push(`balance ${balance}, expected 249.00 (one refund)`);
        const status = await pool.oneFirst(
          sql.type(z.object({ status: z.string() }))`SELECT status FROM payments WHERE id = ${seeded.paymentId}`,
        );
        if (status !== 'refunded') problems.push(`payment ${seeded.paymentId} is ${status}, not refunded`);
        const refunds = await pool.oneFirst(sql.type(countRow)`
          SELECT count(*)::int AS count FROM balance_ledger WHERE user_id = ${seeded.user.id} AND reason = 'refund'`);
        if (refunds !== 1) problems.push(`${refunds} refund ledger rows, expected 1`);
        return problems;
      },
    },
  );
}

/** The period ends (half a second after setup) and, a quarter second of grace later, the client is deleted. */
export function expiryPath(): CrashPath<ActiveSubscription> {
  return activePath(
    'expiry',
    // Auto-renewal counts as tried: whether it would run before the end depends on how long the
    // setup took, and a path's steps must not depend on timing.
    { endsInMs: 500, autoRenewTried: true, settings: { graceHours: 0.25 / 3600, reminderOffsetsHours: [] } },
    {
      expectation: 'the workflow completed with the subscription expired and the expired message sent',
      giveUpQuietMs: 4_000,
      drive: startActiveWorkflow,
      async done(stack, seeded) {
        const description = await stack.real.temporal.client.workflow.getHandle(subscriptionWorkflowId(seeded.subscriptionId)).describe();
        return description.status.name === 'COMPLETED' && (await messageSent(stack, seeded.subscriptionId, ['expired']));
      },
      async verify(stack, seeded) {
        const row = await getSubscription(stack.real.database.pool, seeded.subscriptionId);
        return row?.status === 'expired' ? [] : [`subscription ${seeded.subscriptionId} is ${row?.status ?? 'missing'}, not expired`];
      },
    },
  );
}

/**
 * A payment lands while the subscription is in grace (its period ended a moment ago, the client
 * disabled): the same key is re-enabled. The hand-off is the paymentCompleted signal the payment
 * workflow sends.
 */
export function gracePaymentPath(): CrashPath<ActiveSubscription & { renewalPaymentId: number }> {
  return {
    name: 'grace-payment',
    expectation: 'the subscription active again and the reenabled message sent',
    chatId: ({ user }) => user.telegram_id,
    async setup(stack) {
      const seeded = await seedActive(stack, {
        endsInMs: 300,
        autoRenewTried: true,
        settings: { graceHours: 1, reminderOffsetsHours: [] },
      });
      await startActiveWorkflow(stack, seeded);
      await eventually(
        async () => ((await messageSent(stack, seeded.subscriptionId, ['expired'])) ? true : undefined),
        20_000,
        'the period to end',
      );
      const renewal = await newPayment(stack.real.database.pool, {
        userId: seeded.user.id,
        subscriptionId: seeded.subscriptionId,
        completed: true,
      });
      return { ...seeded, renewalPaymentId: renewal.id };
    },
    async drive(stack, context) {
      await stack.real.temporal.client.workflow
        .getHandle(subscriptionWorkflowId(context.subscriptionId))
        .signal(paymentCompletedSignal, { paymentId: context.renewalPaymentId });
    },
    done: (stack, context) => messageSent(stack, context.subscriptionId, ['reenabled']),
    async verify(stack, context) {
      const row = await getSubscription(stack.real.database.pool, context.subscriptionId);
      return row?.status === 'active' ? [] : [`subscription ${context.subscriptionId} is ${row?.status ?? 'missing'}, not active`];
    },
  };
}
