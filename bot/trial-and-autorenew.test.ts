import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buttons, fakeServices, message, withBot } from '../test/support/bot-test-kit';
import type { BotServices } from './bot-services';
import { en, ru } from './locales';

describe('free trial and auto-renewal against the fake Telegram', () => {
  it('offers the trial on /start to new users, starts it from the button once and refuses a second /trial', async () => {
    const { services, trials } = fakeServices();
    await withBot(services, async (fake) => {
      const user = { id: 7001, first_name: 'Ann', language_code: 'en' };
      fake.userSends(user, '/trial');
      await message(fake, 7001, (text) => text === en.needStart);
      assert.deepEqual(trials, [], 'no trial before /start');

      fake.userSends(user, '/start');
      const welcome = await message(fake, 7001, (text) => text.startsWith('Hi, Ann!'));
      assert.deepEqual(buttons(welcome).at(-1), { text: en.trialButton(3), callback_data: 'trial' });

      const queryId = fake.userPresses(user, 'trial');
      await message(fake, 7001, (text) => text === en.trialStarted(3));
      const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
      assert.equal(answer.ok, true);

      fake.userSends(user, '/trial');
      await message(fake, 7001, (text) => text === en.trialRefused['already-used']);
      assert.deepEqual(trials, [1], 'started once');
    });
  });

  it('hides the offer when trials are off and answers /trial politely', async () => {
    const { services } = fakeServices({ trialDays: () => null, startTrial: async () => ({ kind: 'refused', reason: 'unavailable' }) });
    await withBot(services, async (fake) => {
      const user = { id: 7101, first_name: 'Олег', language_code: 'ru' };
      fake.userSends(user, '/start');
      const welcome = await message(fake, 7101, (text) => text.startsWith('Привет'));
      assert.deepEqual(buttons(welcome), [{ text: ru.showPlansButton, callback_data: 'plans' }]);
      fake.userSends(user, '/trial');
      await message(fake, 7101, (text) => text === ru.trialRefused.unavailable);
      fake.userSends(user, '/help');
      await message(fake, 7101, (text) => text === ru.help);
    });
  });

  it('shows the auto-renewal setting with on/off buttons and switches it', async () => {
    const changes: boolean[] = [];
    const kit = fakeServices();
    const { services } = fakeServices({
      setAutoRenew: async (input) => {
        changes.push(input.enabled);
        await kit.services.setAutoRenew(input);
      },
      getAutoRenew: (userId) => kit.services.getAutoRenew(userId),
    });
    const lookups = countLookups(services);
    await withBot(services, async (fake) => {
      const user = { id: 7201, first_name: 'Ann', language_code: 'en' };
      fake.userSends(user, '/autorenew');
      await message(fake, 7201, (text) => text === en.needStart);
      fake.userPresses(user, 'autorenew:on');
      await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['text'] === en.needStart);

      fake.userSends(user, '/start');
      await message(fake, 7201, (text) => text.startsWith('Hi, Ann!'));
      fake.userSends(user, '/autorenew');
      const screen = await message(fake, 7201, (text) => text === en.autoRenewStatus(false));
      assert.deepEqual(
        buttons(screen).map((button) => [button.text, button.callback_data]),
        [
          [en.autoRenewOnButton, 'autorenew:on'],
          [`✓ ${en.autoRenewOffButton}`, 'autorenew:off'],
        ],
      );

      fake.userPresses(user, 'autorenew:on');
      const edited = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.autoRenewStatus(true),
      );
      assert.deepEqual(
        buttons(edited).map((button) => button.text),
        [`✓ ${en.autoRenewOnButton}`, en.autoRenewOffButton],
      );
      assert.equal(await kit.services.getAutoRenew(1), true);

      // A double press changes nothing more; switching off works.
      const again = fake.userPresses(user, 'autorenew:on');
      await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === again);
      fake.userPresses(user, 'autorenew:off');
      await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.autoRenewStatus(false));
      assert.deepEqual(changes, [true, false]);
      assert.deepEqual(lookups, [], 'the user comes from the update claim, not a second query');
    });
  });

  it('looks the user up for /autorenew and its buttons when the update could not be claimed', async () => {
    const { services } = fakeServices();
    await services.registerUser({ telegramId: 7601, firstName: 'Bo', languageCode: 'en' });
    services.claimUpdate = async () => {
      throw new Error('connection refused');
    };
    const lookups = countLookups(services);
    await withBot(services, async (fake) => {
      const known = { id: 7601, first_name: 'Bo', language_code: 'en' };
      fake.userSends(known, '/autorenew');
      await message(fake, 7601, (text) => text === en.autoRenewStatus(false));
      fake.userPresses(known, 'autorenew:on');
      await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.autoRenewStatus(true));
      assert.equal(await services.getAutoRenew(1), true);

      const stranger = { id: 7602, first_name: 'Cy', language_code: 'en' };
      fake.userSends(stranger, '/autorenew');
      await message(fake, 7602, (text) => text === en.needStart);
      assert.deepEqual(lookups, [7601, 7601, 7602]);
    });
  });
});

/** Records the Telegram ids `services.findUser` is asked about. */
function countLookups(services: BotServices): number[] {
  const lookups: number[] = [];
  const findUser = services.findUser;
  services.findUser = async (telegramId) => {
    lookups.push(telegramId);
    return findUser(telegramId);
  };
  return lookups;
}
