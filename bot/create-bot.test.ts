import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buttons, fakeServices, message, TOKEN, waitUntil, withBot } from '../test/support/bot-test-kit';
import { createBot } from './create-bot';
import { defaultTexts, en, ru } from './locales';
import { publishCommands } from './publish-commands';

describe('createBot against the fake Telegram', () => {
  it('registers the user from /start with the deep-link referral code, ignoring malformed codes', async () => {
    const { services, registered } = fakeServices();
    await withBot(services, async (fake) => {
      fake.userSends({ id: 1001, first_name: 'Ann', username: 'ann', language_code: 'en' }, '/start ref_FRIEND42');
      const welcome = await message(fake, 1001, (text) => text.startsWith('Hi, Ann!'));
      assert.deepEqual(buttons(welcome), [
        { text: en.showPlansButton, callback_data: 'plans' },
        { text: en.trialButton(3), callback_data: 'trial' },
      ]);
      assert.deepEqual(registered[0], {
        telegramId: 1001,
        firstName: 'Ann',
        username: 'ann',
        languageCode: 'en',
        referralCode: 'FRIEND42',
      });

      fake.userSends({ id: 1002, first_name: 'Bob', language_code: 'en' }, '/start ref_bad!code');
      await message(fake, 1002, (text) => text.startsWith('Hi, Bob!'));
      assert.deepEqual(registered[1], { telegramId: 1002, firstName: 'Bob', languageCode: 'en' });

      fake.userSends(1001, '/start');
      const again = await message(fake, 1001, (text) => text.startsWith('Welcome back, Ann!'));
      assert.deepEqual(buttons(again), [{ text: en.showPlansButton, callback_data: 'plans' }], 'no trial offer to a returning user');
      assert.equal(registered.length, 2, "a returning user's /start is answered from the update claim, without registering again");
    });
  });

  it('lists plans with RUB prices, then payment methods, then starts a card or Stars purchase', async () => {
    const { services, purchases, charges } = fakeServices();
    await withBot(services, async (fake) => {
      const user = { id: 2001, first_name: 'Олег', language_code: 'ru' };
      fake.userSends(user, '/start');
      await message(fake, 2001, (text) => text.startsWith('Привет'));
      fake.userSends(user, '/plans');
      const plans = await message(fake, 2001, (text) => text.startsWith(ru.plansHeader));
      assert.match(String(plans.params['text']), /1 месяц — 249 ₽ \(30 дней\)/);
      assert.match(String(plans.params['text']), /3 месяца — 599,50 ₽ \(90 дней\)/);
      assert.deepEqual(
        buttons(plans).map((button) => [button.text, button.callback_data]),
        [
          ['1 месяц — 249 ₽', 'plan:1'],
          ['3 месяца — 599,50 ₽', 'plan:2'],
        ],
      );

      fake.userPresses(user, 'plan:2');
      const details = await fake.waitFor((call) => call.method === 'editMessageText' && call.ok);
      assert.match(String(details.params['text']), /до 5 устройств/);
      assert.deepEqual(
        buttons(details).map((button) => button.callback_data),
        ['pay:2:stars', 'pay:2:card', 'gift:2', 'plans'],
      );

      fake.userPresses(user, 'pay:2:card');
      const link = await message(fake, 2001, (text) => text.includes('страницу оплаты'));
      assert.deepEqual(buttons(link), [{ text: ru.payButton, url: 'https://pay.example.test/p/1' }]);

      fake.userPresses(user, 'pay:2:stars');
      const invoice = await fake.waitFor((call) => call.method === 'sendInvoice' && call.ok);
      assert.equal(invoice.params['currency'], 'XTR');
      assert.deepEqual(invoice.params['prices'], [{ label: '3 месяца', amount: 150 }]);
      assert.deepEqual(purchases, [
        { userId: 1, planId: 2, method: 'card' },
        { userId: 1, planId: 2, method: 'stars' },
      ]);

      const outcome = await fake.userPays(user, String(invoice.params['payload']), { deliveries: 2 });
      assert.equal(outcome.status, 'paid');
      await message(fake, 2001, (text) => text === ru.paymentReceived);
      await waitUntil(() => charges.length === 2);
      assert.equal(fake.sent(2001).filter((call) => call.params['text'] === ru.paymentReceived).length, 1);
    });
  });

  it('answers malformed, unknown and stale callback data politely and keeps working', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake, logs) => {
      for (const data of ['garbage:::', 'plan:999', 'pay:1:paypal', 'plan:01', 'x'.repeat(64)]) {
        const queryId = fake.userPresses({ id: 3001, language_code: 'ru' }, data);
        const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
        assert.equal(answer.ok, true);
        assert.equal(answer.params['text'], ru.staleButton, data);
      }
      fake.userPresses({ id: 3002, language_code: 'en' }, 'pay:1:stars');
      await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['text'] === en.needStart);
      fake.userSends(3001, '/help');
      await message(fake, 3001, (text) => text === ru.help);
      assert.ok(!logs.some((line) => line.includes('"level":50')), 'nothing was logged as an error');
    });
  });

  it('retries a sendMessage rejected with 429 after retry_after and still delivers it', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake) => {
      fake.injectRateLimit('sendMessage', 1);
      const started = Date.now();
      fake.userSends({ id: 4001, language_code: 'en' }, '/help');
      await message(fake, 4001, (text) => text === en.help);
      assert.ok(Date.now() - started >= 900, 'waited retry_after before retrying');
      assert.deepEqual(
        fake.sent(4001).map((call) => [call.method, call.errorCode ?? 200]),
        [
          ['sendMessage', 429],
          ['sendMessage', 200],
        ],
      );
    });
  });

  it('picks Russian for ru/uk/be/kk and a missing language, English otherwise', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake) => {
      const cases: Array<[number, string | undefined, string]> = [
        [5001, 'uk', ru.terms],
        [5002, 'kk', ru.terms],
        [5003, 'de', en.terms],
        [5004, 'en-GB', en.terms],
        [5005, undefined, ru.terms],
      ];
      for (const [id, languageCode, expected] of cases) {
        fake.userSends(languageCode === undefined ? { id } : { id, language_code: languageCode }, '/terms');
        await message(fake, id, (text) => text === expected);
      }
      fake.userSends({ id: 5003 }, '/paysupport');
      await message(fake, 5003, (text) => text === en.paySupport(undefined));
    });
  });

  it('logs a failing handler without the token and tells the user something went wrong', async () => {
    const { services } = fakeServices({
      listPlans: async () => {
        throw new Error(`database down at postgres://bot:${TOKEN}@db`);
      },
    });
    await withBot(services, async (fake, logs) => {
      fake.userSends({ id: 6001, language_code: 'en' }, '/plans');
      await message(fake, 6001, (text) => text === en.genericError);
      await waitUntil(() => logs.some((line) => line.includes('update handler failed')));
      assert.ok(logs.some((line) => line.includes('[token]')));
    });
  });

  it('publishes the command menu in English and Russian', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake) => {
      const bot = createBot({ token: TOKEN, apiRoot: fake.apiRoot, logger: pino({ level: 'silent' }), texts: defaultTexts, services });
      await publishCommands(bot.api, defaultTexts);
      assert.deepEqual(fake.state.commands.get('')?.[1], { command: 'plans', description: en.commands.plans });
      assert.deepEqual(fake.state.commands.get('uk')?.[1], { command: 'plans', description: ru.commands.plans });
    });
  });
});
