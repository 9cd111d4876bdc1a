/**
 * The user's journeys through the real bot wiring (create-bot-services on Postgres, the renewal,
 * promo, gift, language and late-key use cases) against the fake Telegram: only the payment
 * workflows are replaced, by a purchase service that records what it was asked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { createBotServices } from './create-bot-services';
import { createRenewalService } from './create-renewal';
import { parseCallback } from './callback-data';
import { en, ru, type BotTexts } from './locales';
import type { BotPlan } from './bot-services';
import { renderQrBase64 } from '../lib/xui/render-qr';
import { createPayment } from '../sql/repositories/payments-repository';
import { createGift, markGiftPaid } from '../sql/repositories/gifts-repository';
import { listActivePlans } from '../sql/repositories/plans-repository';
import { createPromoCode } from '../sql/repositories/promo-codes-repository';
import { setSubscriptionClient } from '../sql/repositories/subscriptions-repository';
import { setUserLanguage } from '../sql/repositories/users-repository';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import type { SubscriptionPlanRow } from '../sql/schemas/subscription-plan-row';
import { createBroadcastService } from '../usecases/broadcasts';
import { createGiftService } from '../usecases/gifts';
import { createPendingKeyDelivery } from '../usecases/deliver-pending-keys';
import { planName } from '../usecases/plan-names';
import type { PurchaseInput, PurchaseService } from '../usecases/start-purchase';
import { renderNotification } from '../texts/notifications/notification-texts';
import { buttons, message, runBot } from '../test/support/bot-test-kit';
import { newActiveSubscription, newUser, testActor } from '../test/support/db-fixtures';
import { failureOf, startLifecycleTestKit, type LifecycleTestKit } from '../test/support/lifecycle-test-kit';
import type { FakeTelegram } from '../fakes/telegram';

let kit: LifecycleTestKit;
let plan: SubscriptionPlanRow;
before(async () => {
  kit = await startLifecycleTestKit();
  const [first] = await listActivePlans(kit.pool);
  assert.ok(first !== undefined);
  plan = first;
});
after(async () => kit.close());

/**
 * The purchase service of the test: records every order; card pays by link, balance at once. A gift
 * order is created as the real one creates it (a payment without a subscription and its gift) and
 * paid at once, as the payment's completion marks it.
 */
function recordingPurchases() {
  const orders: PurchaseInput[] = [];
  const purchases: PurchaseService = {
    paymentMethods: () => ['card', 'balance'],
    async startPurchase(input) {
      orders.push(input);
      if (input.gift === true) {
        const { payment } = await createPayment(kit.pool, {
          userId: input.userId,
          subscriptionId: null,
          amount: '249.00',
          method: input.method,
          provider: 'balance',
          actor: testActor,
        });
        await createGift(kit.pool, { buyerUserId: input.userId, planId: input.planId, paymentId: payment.id, actor: testActor });
        await markGiftPaid(kit.pool, { paymentId: payment.id, actor: testActor });
      }
      return input.method === 'card' ? { kind: 'redirect', url: 'https://pay.example.test/p/1' } : { kind: 'done' };
    },
    topUpBounds: () => ({ min: 50, max: 50_000 }),
    startTopUp: async () => ({ kind: 'rejected', reason: 'method-unavailable' }),
  };
  return { purchases, orders };
}

/** A Temporal client that only records the gift redemption's signal-with-start. */
function recordingClient() {
  const signals: Array<{ workflowId: string; signal: string }> = [];
  const client = {
    workflow: { signalWithStart: async (_type: string, options: { workflowId: string; signal: string }) => void signals.push(options) },
  } as unknown as Client;
  return { client, signals };
}

/** The bot as bot/main.ts wires it, on the kit's database and fake Telegram, for the length of `body`. */
async function withWiredBot(
  body: (fake: FakeTelegram, orders: PurchaseInput[], signals: Array<{ workflowId: string; signal: string }>) => Promise<void>,
) {
  const { purchases, orders } = recordingPurchases();
  const { client, signals } = recordingClient();
  const gifts = createGiftService({ db: kit.pool, client, taskQueue: 'test', botUsername: kit.fake.botInfo.username });
  const broadcasts = createBroadcastService({ db: kit.pool, client, taskQueue: 'test' });
  const services = createBotServices({
    db: kit.pool,
    adminTelegramIds: [],
    paymentMethods: [],
    purchases,
    gifts,
    publicBaseUrl: kit.publicBaseUrl,
  });
  await runBot(
    kit.fake,
    {
      services,
      renewal: createRenewalService({ db: kit.pool, purchases }),
      pendingKeys: (sender) => createPendingKeyDelivery({ db: kit.pool, sender, publicBaseUrl: kit.publicBaseUrl }),
      userReachable: (userId) => broadcasts.userReachable(userId),
    },
    () => body(kit.fake, orders, signals),
  );
}

/** An active subscription with a key, of a new user speaking `language` (stored as Telegram's at registration). */
async function subscriber(language: 'ru' | 'en' = 'ru'): Promise<{ row: SubscriptionRow; telegramId: number; vpnKey: string }> {
  const user = await newUser(kit.pool);
  await setUserLanguage(kit.pool, { userId: user.id, languageCode: language, actor: testActor });
  const row = await newActiveSubscription(kit.pool, { planId: plan.id, userId: user.id, days: 30 });
  const uuid = `11111111-2222-4333-8444-${String(row.id).padStart(12, '0').slice(-12)}`;
  const vpnKey = `vless://${uuid}@nl.example:443?type=tcp#sub-${row.id}`;
  await setSubscriptionClient(kit.pool, {
    subscriptionId: row.id,
    xuiClientUuid: uuid,
    xuiEmail: `sub-${row.id}@test`,
    xuiSubId: null,
    xuiInboundId: 1,
    vpnKey,
    qrCode: await renderQrBase64(vpnKey),
    actor: testActor,
  });
  return { row, telegramId: user.telegram_id, vpnKey };
}

const edited = (fake: FakeTelegram, chatId: number, text: string) =>
  fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.chatId === chatId && call.params['text'] === text);
const answerOf = (fake: FakeTelegram, queryId: string) =>
  fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);

/** The plan as the bot shows it in `texts`' language. */
function botPlan(texts: BotTexts): BotPlan {
  const locale = texts === en ? 'en' : 'ru';
  return {
    id: plan.id,
    name: planName(plan, locale),
    durationDays: plan.duration_days,
    priceKopecks: Math.round(Number(plan.price_rub) * 100),
    features: {},
  };
}

describe('journeys through the wired bot', () => {
  for (const [language, texts] of [
    ['en', en],
    ['ru', ru],
  ] as const) {
    it(`renews a subscription with the same key from My subscription and from the reminder's button, by balance (${language})`, async () => {
      const { row, telegramId } = await subscriber(language);
      const name = planName(plan, language);
      await withWiredBot(async (fake, orders) => {
        const user = { id: telegramId, first_name: 'Ann', language_code: language };
        fake.userSends(user, '/start');
        await message(fake, telegramId, (text) => text === texts.menu.mainMenu);
        fake.userPresses(user, 'subs');
        const list = await edited(fake, telegramId, texts.menu.subscriptionsTitle);
        assert.ok(
          buttons(list).some((button) => button.callback_data === `sub:${row.id}` && button.text.includes(name)),
          'the plan named in the language',
        );
        fake.userPresses(user, `sub:${row.id}`);
        const screen = await fake.waitFor(
          (call) =>
            call.method === 'editMessageText' &&
            call.ok &&
            call.chatId === telegramId &&
            String(call.params['text']).startsWith(`<b>${name}</b>`),
        );
        assert.ok(buttons(screen).some((button) => button.callback_data === `renew:${row.id}` && button.text === texts.menu.buttons.renew));

        fake.userPresses(user, `renew:${row.id}`);
        const methods = await edited(
          fake,
          telegramId,
          texts.menu.renewChooseMethod({ id: row.id, planName: name, status: 'active', endsAt: row.end_date }),
        );
        assert.deepEqual(
          buttons(methods).map((button) => button.callback_data),
          [`rpay:${row.id}:card`, `rpay:${row.id}:balance`, `sub:${row.id}`],
        );
        fake.userPresses(user, `rpay:${row.id}:balance`);
        await message(fake, telegramId, (text) => text === texts.menu.renewDone);
        assert.deepEqual(
          orders,
          [{ userId: row.user_id, planId: plan.id, method: 'balance', renewSubscriptionId: row.id }],
          'the same subscription, on its own plan',
        );

        // The worker's reminder carries a Renew button in the user's language, which the bot handles.
        await kit.activities.notifyUser({
          userId: row.user_id,
          kind: 'reminder',
          key: `reminder:${row.id}:${language}`,
          subscriptionId: row.id,
          params: { hoursLeft: 72 },
        });
        const reminder = await message(
          fake,
          telegramId,
          (text) => text === renderNotification('reminder', language, { planName: name, hoursLeft: 72 }),
        );
        const [renew] = buttons(reminder);
        assert.equal(renew?.text, texts.menu.buttons.renew);
        assert.deepEqual(parseCallback(renew?.callback_data), { type: 'renew', subscriptionId: row.id });
        fake.userPresses(user, String(renew?.callback_data));
        await edited(
          fake,
          telegramId,
          texts.menu.renewChooseMethod({ id: row.id, planName: name, status: 'active', endsAt: row.end_date }),
        );
        fake.userPresses(user, `rpay:${row.id}:card`);
        const link = await message(fake, telegramId, (text) => text === texts.menu.renewByLink(name));
        assert.deepEqual(buttons(link), [{ text: texts.payButton, url: 'https://pay.example.test/p/1' }]);
        assert.equal(orders.length, 2);
      });
    });
  }

  it("answers stale and forged Renew buttons politely and never orders: someone else's subscription, a deleted one, malformed data", async () => {
    const { row } = await subscriber();
    const thief = await newUser(kit.pool);
    await withWiredBot(async (fake, orders) => {
      const user = { id: thief.telegram_id, first_name: 'Mallory', language_code: 'ru' };
      fake.userSends(user, '/start');
      await message(fake, thief.telegram_id, (text) => text === ru.menu.mainMenu);
      for (const data of [
        `renew:${row.id}`,
        `rpay:${row.id}:balance`,
        'renew:2000000000',
        'rpay:2000000000:card',
        `rpay:${row.id}:stars`,
        'renew:x',
      ]) {
        const answer = await answerOf(fake, fake.userPresses(user, data));
        assert.equal(answer.params['text'], ru.staleButton, data);
      }
      assert.deepEqual(orders, []);
    });
  });

  it('keeps a fixed-amount promo code across a restart and shows it on the plans and the payment screens until paid', async () => {
    const promo = await createPromoCode(kit.pool, { code: `FIX${Date.now() % 1_000_000}`, amountOff: '100.00', actor: testActor });
    const user = await newUser(kit.pool);
    const tg = { id: user.telegram_id, first_name: 'Ann', language_code: 'en' };
    const applied = { code: promo.code, percentOff: null, amountOffKopecks: 10_000 };
    await withWiredBot(async (fake) => {
      fake.userSends(tg, `/promo ${promo.code.toLowerCase()}`);
      await message(fake, tg.id, (text) => text === en.promoApplied(applied));
    });
    // A new bot instance (a restart, or another replica): the code is still there.
    await withWiredBot(async (fake, orders) => {
      fake.userSends(tg, '/plans');
      await message(fake, tg.id, (text) => text.startsWith(en.plansHeader) && text.endsWith(en.promoActive(applied)));
      const shown = botPlan(en);
      fake.userPresses(tg, `plan:${plan.id}`);
      const details = await fake.waitFor(
        (call) =>
          call.method === 'editMessageText' && call.ok && call.chatId === tg.id && String(call.params['text']).startsWith(`${shown.name}:`),
      );
      assert.ok(
        String(details.params['text']).includes(
          `With promo code ${promo.code}: ${en.price(shown.priceKopecks - 10_000)} instead of ${en.price(shown.priceKopecks)}`,
        ),
        String(details.params['text']),
      );
      fake.userPresses(tg, `pay:${plan.id}:card`);
      await message(fake, tg.id, (text) => text === en.payByLink({ ...shown, priceKopecks: shown.priceKopecks - 10_000 }));
      assert.deepEqual(
        orders,
        [{ userId: user.id, planId: plan.id, method: 'card' }],
        'the purchase service applies the pending code itself',
      );
    });
  });

  it('sells a gift and lets the first user who opens its link have it; later ones and unknown codes are answered politely', async () => {
    const buyer = await newUser(kit.pool);
    const friend = await newUser(kit.pool);
    const late = await newUser(kit.pool);
    await withWiredBot(async (fake, orders, signals) => {
      const tg = { id: buyer.telegram_id, first_name: 'Ann', language_code: 'en' };
      fake.userSends(tg, '/start');
      await message(fake, tg.id, (text) => text === en.menu.mainMenu);
      fake.userPresses(tg, `plan:${plan.id}`);
      const details = await fake.waitFor(
        (call) =>
          call.method === 'editMessageText' &&
          call.ok &&
          call.chatId === tg.id &&
          String(call.params['text']).startsWith(`${planName(plan, 'en')}:`),
      );
      assert.ok(buttons(details).some((button) => button.callback_data === `gift:${plan.id}` && button.text === en.giftButton));
      fake.userPresses(tg, `gift:${plan.id}`);
      const methods = await edited(fake, tg.id, en.giftChooseMethod(botPlan(en)));
      assert.deepEqual(
        buttons(methods).map((button) => button.callback_data),
        [`gpay:${plan.id}:card`, `gpay:${plan.id}:balance`, `plan:${plan.id}`],
      );
      fake.userPresses(tg, `gpay:${plan.id}:balance`);
      await message(fake, tg.id, (text) => text === en.giftPaid);
      assert.deepEqual(orders, [{ userId: buyer.id, planId: plan.id, method: 'balance', gift: true }]);

      fake.userSends(tg, '/gifts');
      const gifts = await message(fake, tg.id, (text) => text.startsWith(en.giftsTitle));
      const link = /https:\/\/t\.me\/\S+\?start=gift_([A-Z0-9]+)/.exec(String(gifts.params['text']));
      assert.ok(link !== null, String(gifts.params['text']));
      assert.equal(link[0], `https://t.me/${fake.botInfo.username}?start=gift_${link[1]}`);

      fake.userSends({ id: friend.telegram_id, first_name: 'Bob', language_code: 'ru' }, `/start gift_${link[1]}`);
      await message(fake, friend.telegram_id, (text) => text === ru.giftRedeemed);
      assert.equal(signals.length, 1, 'the subscription workflow is started with the gift payment');
      fake.userSends({ id: late.telegram_id, first_name: 'Eve', language_code: 'ru' }, `/start gift_${link[1]}`);
      await message(fake, late.telegram_id, (text) => text === ru.giftRefused['already-redeemed']);
      fake.userSends({ id: late.telegram_id, first_name: 'Eve', language_code: 'ru' }, '/start gift_NOSUCHCODE1');
      await message(fake, late.telegram_id, (text) => text === ru.giftRefused.unknown, 2000);
      assert.equal(signals.length, 1);

      fake.userSends(tg, '/gifts');
      await message(fake, tg.id, (text) =>
        text.includes(en.giftLine({ code: link[1] ?? '', link: link[0], planName: planName(plan, 'en'), status: 'redeemed' })),
      );
    });
  });

  it('delivers a key message that met a blocked bot when the user next writes, and marks them reachable', async () => {
    const { row, telegramId, vpnKey } = await subscriber('en');
    kit.fake.setBlocked(telegramId, true);
    await assert.rejects(
      kit.activities.notifyUser({ userId: row.user_id, kind: 'key_delivered', key: `kd:${row.id}`, subscriptionId: row.id, withQr: true }),
      failureOf('TELEGRAM_BLOCKED'),
    );
    kit.fake.setBlocked(telegramId, false);
    await kit.pool.query(sql.unsafe`UPDATE users SET blocked_at = now() WHERE id = ${row.user_id}`);
    await withWiredBot(async (fake) => {
      fake.userSends({ id: telegramId, first_name: 'Ann', language_code: 'en' }, 'hello?');
      await message(fake, telegramId, (text) => text === en.menu.unknownInput);
      const photo = await fake.waitFor((call) => call.method === 'sendPhoto' && call.ok && call.chatId === telegramId);
      assert.ok(String(photo.params['caption']).includes(vpnKey), 'the key itself');
      const blockedAt = await kit.pool.oneFirst(sql.unsafe`SELECT blocked_at FROM users WHERE id = ${row.user_id}`);
      assert.equal(blockedAt, null, 'reachable again for broadcasts');
      fake.userSends({ id: telegramId, first_name: 'Ann', language_code: 'en' }, 'again');
      await message(fake, telegramId, (text) => text === en.menu.unknownInput && true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(fake.sent(telegramId).filter((call) => call.method === 'sendPhoto' && call.ok).length, 1, 'once');
    });
  });

  it('stores the language chosen in the menu through the use case; the worker then writes in it', async () => {
    const { row, telegramId } = await subscriber();
    await withWiredBot(async (fake) => {
      const tg = { id: telegramId, first_name: 'Ann', language_code: 'ru' };
      fake.userSends(tg, '/start');
      await message(fake, telegramId, (text) => text === ru.menu.mainMenu);
      const answer = await answerOf(fake, fake.userPresses(tg, 'setlang:en'));
      assert.equal(answer.params['text'], en.menu.languageSet);
      const audited = await kit.pool.oneFirst(
        sql.unsafe`SELECT count(*)::int FROM audit_logs WHERE action = 'user.language_set' AND entity_id = ${row.user_id} AND details->>'language_code' = 'en'`,
      );
      assert.equal(audited, 1);
      await kit.activities.notifyUser({ userId: row.user_id, kind: 'expired', key: `expired:${row.id}`, subscriptionId: row.id });
      const expired = await message(
        fake,
        telegramId,
        (text) => text === renderNotification('expired', 'en', { planName: planName(plan, 'en') }),
      );
      assert.equal(buttons(expired)[0]?.text, en.menu.buttons.renew);
    });
  });
});
