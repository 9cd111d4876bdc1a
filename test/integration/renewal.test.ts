/**
 * Renewal on the real stack (Postgres, Temporal, fake panel, fake Telegram, every real activity):
 * a purchase with `renewSubscriptionId` pays for the user's existing subscription and extends it
 * with the same key: early renewal stacks on the current end, a renewal in the grace window
 * re-enables the same panel client, and one after the grace window (client deleted) is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { creditBalance } from '../../sql/repositories/ledger-repository';
import { getSubscription } from '../../sql/repositories/subscriptions-repository';
import type { SubscriptionRow } from '../../sql/schemas/subscription-row';
import { createPurchaseService, type PurchaseService } from '../../usecases/start-purchase';
import { subscriptionWorkflowId } from '../../workflows/contract';
import type { SubscriptionState } from '../../workflows/subscription-lifecycle';
import type { subscriptionWorkflow } from '../../workflows/subscription-workflow';
import { newPromoCode, newUser, testActor } from '../support/db-fixtures';
import { parseMoney, promoPrice } from '../../lib/money';
import { createPromoService } from '../../usecases/promo-codes';
import { createGiftService } from '../../usecases/gifts';
import { startRealStack, type RealStack } from '../support/real-stack';
import { eventually } from '../support/test-temporal';

const DAY_MS = 24 * 60 * 60 * 1000;
let stack: RealStack;
let purchases: PurchaseService;
let planId: number;
let durationDays: number;

before(async () => {
  stack = await startRealStack();
  const db = stack.database.pool;
  const plan = await db.one(
    sql.type(
      z.object({ id: z.number(), duration_days: z.number() }),
    )`SELECT id, duration_days FROM subscription_plans WHERE is_active ORDER BY price_rub LIMIT 1`,
  );
  planId = plan.id;
  durationDays = plan.duration_days;
  const none = { byName: {}, forMethod: () => undefined };
  stack.deps.payments = {
    providers: none,
    temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
    returnUrl: 'https://vpn.example.com/payments/return',
  };
  purchases = createPurchaseService({
    db,
    payments: { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 60 },
    providers: none,
    starsKopecksPerStar: 'disabled',
    invoiceWaitMs: 30_000,
  });
});

after(async () => {
  await stack?.close();
});

async function userWithBalance(rub: string) {
  const user = await newUser(stack.database.pool);
  await creditBalance(stack.database.pool, {
    userId: user.id,
    amount: rub,
    reason: 'top_up',
    idempotencyKey: `renewal-topup-${user.id}`,
    actor: testActor,
  });
  return user;
}

async function subscriptionsOf(userId: number): Promise<readonly SubscriptionRow[]> {
  const ids = await stack.database.pool.anyFirst(
    sql.type(z.object({ id: z.number() }))`SELECT id FROM subscriptions WHERE user_id = ${userId} ORDER BY id`,
  );
  return Promise.all(ids.map(async (id) => (await getSubscription(stack.database.pool, id)) as SubscriptionRow));
}

async function activeWithKey(userId: number, endAfter = 0): Promise<SubscriptionRow> {
  return eventually(
    async () => {
      const [row] = await subscriptionsOf(userId);
      return row?.status === 'active' && row.vpn_key !== null && (row.end_date?.getTime() ?? 0) > endAfter ? row : undefined;
    },
    30_000,
    'an active subscription with its key',
  );
}

async function textsTo(telegramId: number): Promise<string[]> {
  return stack.telegram
    .sent(telegramId)
    .filter((call) => call.ok)
    .map((call) => String(call.params['text'] ?? call.params['caption'] ?? ''));
}

describe('renewal of an existing subscription', () => {
  it('early renewal from the balance stacks on the current end, with the same key and no second subscription', async () => {
    const user = await userWithBalance('2000.00');
    await stack.run(async () => {
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance' }), { kind: 'done' });
      const first = await activeWithKey(user.id);
      const firstEnd = first.end_date?.getTime() ?? 0;
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', renewSubscriptionId: first.id }), {
        kind: 'done',
      });
      const renewed = await activeWithKey(user.id, firstEnd);
      assert.equal(renewed.id, first.id);
      assert.equal(renewed.end_date?.getTime(), firstEnd + durationDays * DAY_MS, 'the new period starts at the old end');
      assert.equal(renewed.vpn_key, first.vpn_key, 'the same key');
      assert.equal(renewed.xui_client_uuid, first.xui_client_uuid);
      assert.equal((await subscriptionsOf(user.id)).length, 1);
      await eventually(
        async () => {
          const panelClient = stack.panel.state.clients().find(({ client }) => client['email'] === first.xui_email);
          return panelClient?.client['expiryTime'] === firstEnd + durationDays * DAY_MS ? true : undefined;
        },
        10_000,
        'the panel client lives until the new end',
      );
      await eventually(
        async () => ((await textsTo(user.telegram_id)).some((text) => /renewed|продлена/i.test(text)) ? true : undefined),
        10_000,
        'the renewal message',
      );
    });
  });

  it('a renewal in the grace window re-enables the same panel client from now', async () => {
    const user = await userWithBalance('2000.00');
    const client = stack.temporal.client;
    await stack.run(async () => {
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance' }), { kind: 'done' });
      const first = await activeWithKey(user.id);
      // Bring the end close: the workflow restarts with its state ending in two seconds (as if the period were nearly over).
      const handle = client.workflow.getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(first.id));
      const state = await eventually(
        async () => {
          const current = await handle.query<SubscriptionState>('getState');
          return current.phase === 'active' && current.serverId !== null ? current : undefined;
        },
        10_000,
        'the workflow active',
      );
      await handle.terminate('test: shorten the period');
      const soon = new Date(Date.now() + 2_000);
      await stack.database.pool.query(sql.unsafe`UPDATE subscriptions SET end_date = ${sql.timestamp(soon)} WHERE id = ${first.id}`);
      const carried: SubscriptionState = { ...state, endsAt: soon.toISOString(), remindersSent: [], autoRenewTriedFor: soon.toISOString() };
      await client.workflow.start<typeof subscriptionWorkflow>('subscriptionWorkflow', {
        workflowId: subscriptionWorkflowId(first.id),
        taskQueue: stack.taskQueue,
        args: [
          {
            subscriptionId: first.id,
            userId: user.id,
            planId,
            state: { ...carried, remindersSent: carried.settings.reminderOffsetsHours.map((hours) => `${carried.endsAt}|${hours}`) },
          },
        ],
      });
      await eventually(
        async () => ((await handle.query<SubscriptionState>('getState')).phase === 'grace' ? true : undefined),
        20_000,
        'grace',
      );
      await eventually(
        async () => {
          const disabled = stack.panel.state.clients().find(({ client: c }) => c['email'] === first.xui_email);
          return disabled?.client['enable'] === false ? true : undefined;
        },
        10_000,
        'the key switched off in grace',
      );

      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', renewSubscriptionId: first.id }), {
        kind: 'done',
      });
      const before = Date.now();
      const renewed = await activeWithKey(user.id, soon.getTime());
      assert.equal(renewed.id, first.id);
      assert.equal(renewed.vpn_key, first.vpn_key, 'the same key');
      assert.ok(Math.abs((renewed.end_date?.getTime() ?? 0) - (before + durationDays * DAY_MS)) < 60_000, 'the new period starts now');
      await eventually(
        async () => {
          const live = stack.panel.state.clients().filter(({ client: c }) => c['email'] === first.xui_email);
          return live.length === 1 && live[0]?.client['enable'] === true && live[0].client['id'] === first.xui_client_uuid
            ? true
            : undefined;
        },
        20_000,
        'the same client enabled again',
      );
      await eventually(
        async () => ((await textsTo(user.telegram_id)).some((text) => /works again|снова работает/i.test(text)) ? true : undefined),
        10_000,
        'the re-enabled message',
      );
    });
  });

  it('an applied promo code (kept in the database) discounts a renewal paid from the balance, and is consumed by that payment', async () => {
    const db = stack.database.pool;
    const user = await userWithBalance('2000.00');
    const code = await newPromoCode(db, { percentOff: 50 });
    await stack.run(async () => {
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance' }), { kind: 'done' });
      const first = await activeWithKey(user.id);
      assert.equal((await createPromoService({ db }).applyPromo(user.id, code.code)).kind, 'applied');
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', renewSubscriptionId: first.id }), {
        kind: 'done',
      });
      await activeWithKey(user.id, first.end_date?.getTime() ?? 0);
    });
    const renewal = await db.one(sql.type(
      z.object({ amount: z.string(), list_price: z.string().nullable(), promo_code_id: z.number().nullable() }),
    )`
      SELECT amount::text, list_price::text, promo_code_id FROM payments WHERE user_id = ${user.id} ORDER BY id DESC LIMIT 1
    `);
    const plan = await db.oneFirst(
      sql.type(z.object({ price_rub: z.string() }))`SELECT price_rub::text FROM subscription_plans WHERE id = ${planId}`,
    );
    assert.equal(renewal.promo_code_id, code.id);
    assert.equal(renewal.list_price, plan);
    assert.equal(parseMoney(renewal.amount), promoPrice(parseMoney(plan), 50));
    assert.equal(await createPromoService({ db }).pendingPromo(user.id), null, 'consumed by the payment');
    const statuses = await db.anyFirst(
      sql.type(z.object({ status: z.string() }))`SELECT status FROM promo_redemptions WHERE promo_code_id = ${code.id}`,
    );
    assert.deepEqual(statuses, ['consumed']);
  });

  it('a gift: the buyer pays, gets a code and a link; the first redeemer gets the subscription and its key, the next is refused', async () => {
    const db = stack.database.pool;
    const buyer = await userWithBalance('2000.00');
    const redeemer = await newUser(db);
    const late = await newUser(db);
    const gifts = createGiftService({ db, client: stack.temporal.client, taskQueue: stack.taskQueue, botUsername: 'vpn_test_bot' });
    await stack.run(async () => {
      assert.deepEqual(await purchases.startPurchase({ userId: buyer.id, planId, method: 'balance', gift: true }), { kind: 'done' });
      const [gift] = await gifts.giftsOf(buyer.id);
      assert.ok(gift !== undefined && gift.status === 'ready');
      assert.equal(gift.link, `https://t.me/vpn_test_bot?start=gift_${gift.code}`);
      assert.deepEqual(await subscriptionsOf(buyer.id), [], 'the buyer gets no subscription');
      const redeemed = await gifts.redeemGift(redeemer.id, gift.code.toLowerCase());
      assert.equal(redeemed.kind, 'redeemed');
      assert.deepEqual(await gifts.redeemGift(late.id, gift.code), { kind: 'refused', reason: 'already-redeemed' });
      const row = await activeWithKey(redeemer.id);
      assert.equal(row.plan_id, planId);
      await stack.telegram.waitFor((call) => call.chatId === redeemer.telegram_id && call.method === 'sendPhoto' && call.ok, 20_000);
      assert.equal((await gifts.giftsOf(buyer.id))[0]?.status, 'redeemed');
    });
    assert.deepEqual(await gifts.redeemGift(late.id, 'NOSUCHCODE1'), { kind: 'refused', reason: 'unknown' });
    const audits = await db.oneFirst(
      sql.type(
        z.object({ n: z.number() }),
      )`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'gift.redeemed' AND user_id = ${redeemer.id}`,
    );
    assert.equal(audits, 1);
  });

  it('refuses politely after the grace window, for a cancelled one, and for another user’s subscription; nothing is charged', async () => {
    const db = stack.database.pool;
    const user = await userWithBalance('2000.00');
    const stranger = await userWithBalance('2000.00');
    const longAgo = new Date(Date.now() - 30 * DAY_MS);
    const insert = (userId: number, status: string) =>
      db.oneFirst(sql.type(z.object({ id: z.number() }))`
        INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date)
        VALUES (${userId}, ${planId}, ${status}, ${sql.timestamp(new Date(longAgo.getTime() - DAY_MS))}, ${sql.timestamp(longAgo)})
        RETURNING id
      `);
    const deleted = await insert(user.id, 'expired');
    const cancelled = await insert(user.id, 'cancelled');
    const others = await insert(stranger.id, 'active');
    for (const renewSubscriptionId of [deleted, cancelled, others, 999_999]) {
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId, method: 'balance', renewSubscriptionId }), {
        kind: 'rejected',
        reason: 'not-renewable',
      });
    }
    const payments = await db.oneFirst(
      sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM payments WHERE user_id = ${user.id}`,
    );
    assert.equal(payments, 0);
  });
});
