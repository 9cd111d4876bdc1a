import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSubscription, buttons, fakeServices, message, withBot } from '../test/support/bot-test-kit';
import type { RenewalService } from './features/renewal';
import { en, ru } from './locales';

/** A renewal service that records its calls: card pays by link, Stars by invoice, balance at once. */
function fakeRenewal() {
  const calls: Array<Parameters<RenewalService['startRenewal']>[0]> = [];
  const renewal: RenewalService = {
    startRenewal: async (input) => {
      calls.push(input);
      if (input.method === 'card') return { kind: 'redirect', url: 'https://pay.example.test/renew/1' };
      if (input.method === 'stars') return { kind: 'stars-invoice', payload: `renew:${calls.length}`, stars: 150 };
      return { kind: 'done' };
    },
  };
  return { renewal, calls };
}

describe('renewal from My subscription against the fake Telegram', () => {
  it('offers Renew, then the payment methods, and starts the renewal of that subscription with the same key', async () => {
    const { services, subscriptions } = fakeServices();
    subscriptions.push(activeSubscription(7, 1));
    const { renewal, calls } = fakeRenewal();
    await withBot(
      services,
      async (fake) => {
        const user = { id: 9601, first_name: 'Ann', language_code: 'en' };
        fake.userSends(user, '/start');
        await message(fake, 9601, (text) => text === en.menu.mainMenu);
        fake.userPresses(user, 'sub:7');
        const screen = await fake.waitFor(
          (call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('<b>1 месяц</b>'),
        );
        assert.ok(buttons(screen).some((button) => button.callback_data === 'renew:7' && button.text === en.menu.buttons.renew));

        fake.userPresses(user, 'renew:7');
        const methods = await fake.waitFor(
          (call) =>
            call.method === 'editMessageText' && call.ok && call.params['text'] === en.menu.renewChooseMethod(activeSubscription(7, 1)),
        );
        assert.deepEqual(
          buttons(methods).map((button) => button.callback_data),
          ['rpay:7:stars', 'rpay:7:card', 'sub:7'],
        );

        fake.userPresses(user, 'rpay:7:card');
        const link = await message(fake, 9601, (text) => text === en.menu.renewByLink('1 месяц'));
        assert.deepEqual(buttons(link), [{ text: en.payButton, url: 'https://pay.example.test/renew/1' }]);
        fake.userPresses(user, 'rpay:7:stars');
        const invoice = await fake.waitFor((call) => call.method === 'sendInvoice' && call.ok);
        assert.deepEqual(invoice.params['prices'], [{ label: '1 месяц', amount: 150 }]);
        assert.deepEqual(calls, [
          { userId: 1, subscriptionId: 7, method: 'card' },
          { userId: 1, subscriptionId: 7, method: 'stars' },
        ]);
      },
      { renewal },
    );
  });

  it("never renews someone else's subscription or with a disabled method; without the service Renew says so, in Russian", async () => {
    const { services, subscriptions } = fakeServices();
    subscriptions.push(activeSubscription(7, 1));
    const { renewal, calls } = fakeRenewal();
    await withBot(
      services,
      async (fake) => {
        fake.userSends({ id: 9701, first_name: 'Owner', language_code: 'ru' }, '/start');
        await message(fake, 9701, (text) => text === ru.menu.mainMenu);
        const thief = { id: 9702, first_name: 'Mallory', language_code: 'ru' };
        fake.userSends(thief, '/start');
        await message(fake, 9702, (text) => text === ru.menu.mainMenu);
        for (const data of ['renew:7', 'rpay:7:card', 'rpay:7:balance', 'rpay:07:card', 'rpay:7']) {
          const queryId = fake.userPresses(thief, data);
          const answer = await fake.waitFor(
            (call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId,
          );
          assert.equal(answer.params['text'], ru.staleButton, data);
        }
        const owner = fake.userPresses(9701, 'rpay:7:balance');
        const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === owner);
        assert.equal(answer.params['text'], ru.staleButton, 'balance payments are off');
        assert.deepEqual(calls, [], 'no renewal order');
      },
      { renewal },
    );
    await withBot(services, async (fake) => {
      fake.userSends({ id: 9701, first_name: 'Owner', language_code: 'ru' }, '/start');
      await message(fake, 9701, (text) => text === ru.menu.mainMenu);
      fake.userPresses(9701, 'sub:7');
      const screen = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('<b>1 месяц</b>'),
      );
      assert.ok(!buttons(screen).some((button) => button.callback_data === 'renew:7'), 'no Renew button without the service');
      for (const data of ['renew:7', 'rpay:7:card']) {
        const queryId = fake.userPresses(9701, data);
        const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
        assert.equal(answer.params['text'], ru.menu.renewUnavailable, data);
      }
    });
  });
});
