/**
 * Renew through the bot on the real stack (Postgres, Temporal, every real activity, fake panel, fake
 * Telegram): a user who bought a plan presses Renew on My subscription and pays from the balance;
 * the same subscription is extended from its end with the same key, and no second one appears.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createBotServices } from '../../bot/create-bot-services';
import { createRenewalService } from '../../bot/create-renewal';
import { en } from '../../bot/locales';
import { creditBalance } from '../../sql/repositories/ledger-repository';
import { getSubscription } from '../../sql/repositories/subscriptions-repository';
import { setUserLanguage } from '../../sql/repositories/users-repository';
import type { SubscriptionRow } from '../../sql/schemas/subscription-row';
import { createPurchaseService, type PurchaseService } from '../../usecases/start-purchase';
import { buttons, message, runBot } from '../support/bot-test-kit';
import { newUser, testActor } from '../support/db-fixtures';
import { startRealStack, type RealStack } from '../support/real-stack';
import { eventually } from '../support/test-temporal';

const DAY_MS = 24 * 60 * 60 * 1000;
let stack: RealStack;
let purchases: PurchaseService;
let plan: { id: number; duration_days: number };

before(async () => {
  stack = await startRealStack();
  plan = await stack.database.pool.one(
    sql.type(
      z.object({ id: z.number(), duration_days: z.number() }),
    )`SELECT id, duration_days FROM subscription_plans WHERE is_active ORDER BY price_rub LIMIT 1`,
  );
  const none = { byName: {}, forMethod: () => undefined };
  stack.deps.payments = {
    providers: none,
    temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
    returnUrl: 'https://vpn.example.com/payments/return',
  };
  purchases = createPurchaseService({
    db: stack.database.pool,
    payments: { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 60 },
    providers: none,
    starsKopecksPerStar: 'disabled',
    invoiceWaitMs: 30_000,
  });
});
after(async () => stack?.close());

describe('Renew in the bot on the real stack', () => {
  it('extends the same subscription from its end with the same key, paid from the balance', async () => {
    const db = stack.database.pool;
    const user = await newUser(db);
    await setUserLanguage(db, { userId: user.id, languageCode: 'en', actor: testActor });
    await creditBalance(db, {
      userId: user.id,
      amount: '2000.00',
      reason: 'top_up',
      idempotencyKey: `bot-renewal-${user.id}`,
      actor: testActor,
    });
    const services = createBotServices({ db, adminTelegramIds: [], paymentMethods: [], purchases, publicBaseUrl: 'https://vpn.example' });
    const tg = { id: user.telegram_id, first_name: 'Ann', language_code: 'en' };
    await stack.run(async () => {
      await runBot(stack.telegram, { services, renewal: createRenewalService({ db, purchases }) }, async () => {
        stack.telegram.userSends(tg, '/start');
        await message(stack.telegram, tg.id, (text) => text === en.menu.mainMenu);
        stack.telegram.userPresses(tg, `pay:${plan.id}:balance`);
        await message(stack.telegram, tg.id, (text) => text === en.purchaseDone, 30_000);
        const first = await eventually(
          async () => {
            const row = await db.maybeOneFirst(
              sql.type(
                z.object({ id: z.number() }),
              )`SELECT id FROM subscriptions WHERE user_id = ${user.id} AND status = 'active' AND vpn_key IS NOT NULL`,
            );
            return row === null ? undefined : ((await getSubscription(db, row)) as SubscriptionRow);
          },
          30_000,
          'the first period with its key',
        );
        const firstEnd = first.end_date?.getTime() ?? 0;

        stack.telegram.userPresses(tg, `sub:${first.id}`);
        const screen = await stack.telegram.waitFor(
          (call) =>
            call.method === 'editMessageText' &&
            call.ok &&
            call.chatId === tg.id &&
            buttons(call).some((button) => button.callback_data === `renew:${first.id}`),
        );
        assert.ok(screen.ok);
        stack.telegram.userPresses(tg, `renew:${first.id}`);
        const methods = await stack.telegram.waitFor(
          (call) =>
            call.method === 'editMessageText' &&
            call.ok &&
            call.chatId === tg.id &&
            buttons(call).some((button) => button.callback_data === `rpay:${first.id}:balance`),
        );
        assert.ok(methods.ok);
        stack.telegram.userPresses(tg, `rpay:${first.id}:balance`);
        await message(stack.telegram, tg.id, (text) => text === en.menu.renewDone, 30_000);
        const renewed = await eventually(
          async () => {
            const row = await getSubscription(db, first.id);
            return (row?.end_date?.getTime() ?? 0) > firstEnd ? row : undefined;
          },
          30_000,
          'the renewed period',
        );
        assert.equal(renewed?.end_date?.getTime(), firstEnd + plan.duration_days * DAY_MS, 'stacked on the old end');
        assert.equal(renewed?.vpn_key, first.vpn_key, 'the same key');
        const count = await db.oneFirst(
          sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM subscriptions WHERE user_id = ${user.id}`,
        );
        assert.equal(count, 1, 'no second subscription');
      });
    });
  });
});
