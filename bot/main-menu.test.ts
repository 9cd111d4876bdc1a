import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buttons, fakeServices, message, withBot } from '../test/support/bot-test-kit';
import { en, ru } from './locales';

const MENU_DATA = ['plans', 'subs', 'balance', 'help', 'lang'];

describe('main menu and language against the fake Telegram', () => {
  it('shows the main menu after /start and on free text or unknown commands, in Russian and English', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake) => {
      fake.userSends({ id: 8001, first_name: 'Ann', language_code: 'en' }, '/start');
      const menu = await message(fake, 8001, (text) => text === en.menu.mainMenu);
      assert.deepEqual(
        buttons(menu).map((button) => [button.text, button.callback_data]),
        [
          [en.menu.buttons.buy, 'plans'],
          [en.menu.buttons.subscriptions, 'subs'],
          [en.menu.buttons.balance, 'balance'],
          [en.menu.buttons.help, 'help'],
          [en.menu.buttons.language, 'lang'],
        ],
      );
      fake.userSends(8001, 'hello?');
      const again = await message(fake, 8001, (text) => text === en.menu.unknownInput);
      assert.deepEqual(
        buttons(again).map((button) => button.callback_data),
        MENU_DATA,
      );
      fake.userSends(8001, '/nosuchcommand');
      await message(
        fake,
        8001,
        (text) => text === en.menu.unknownInput && fake.sent(8001).filter((call) => call.params['text'] === text).length === 2,
      );

      fake.userSends({ id: 8002, first_name: 'Олег', language_code: 'ru' }, 'привет');
      const russian = await message(fake, 8002, (text) => text === ru.menu.unknownInput);
      assert.deepEqual(
        buttons(russian).map((button) => button.text),
        [ru.menu.buttons.buy, ru.menu.buttons.subscriptions, ru.menu.buttons.balance, ru.menu.buttons.help, ru.menu.buttons.language],
      );
    });
  });

  it('registers a user whose first message is not /start, and the commands work afterwards', async () => {
    const { services, registered, trials } = fakeServices();
    await withBot(services, async (fake) => {
      const user = { id: 8101, first_name: 'Eve', username: 'eve', language_code: 'en' };
      fake.userSends(user, 'how do I buy?');
      await message(fake, 8101, (text) => text === en.menu.unknownInput);
      assert.deepEqual(registered, [{ telegramId: 8101, firstName: 'Eve', username: 'eve', languageCode: 'en' }]);
      fake.userSends(user, '/trial');
      await message(fake, 8101, (text) => text === en.trialStarted(3));
      assert.deepEqual(trials, [1]);
      fake.userSends(user, 'thanks');
      await message(
        fake,
        8101,
        (text) => text === en.menu.unknownInput && fake.sent(8101).filter((call) => call.params['text'] === text).length === 2,
      );
      assert.equal(registered.length, 1, 'registered once');
    });
  });

  it('reaches every screen by buttons and comes back with Back', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake) => {
      const user = { id: 8201, first_name: 'Ann', language_code: 'en' };
      fake.userSends(user, '/start');
      await message(fake, 8201, (text) => text === en.menu.mainMenu);
      const menuId = fake.state.chats.list(8201).findLast((entry) => entry.from === 'bot' && entry.message.text === en.menu.mainMenu)
        ?.message.message_id;
      const screens: Array<[string, (text: string) => boolean]> = [
        ['plans', (text) => text.startsWith(en.plansHeader)],
        ['subs', (text) => text === en.noSubscriptions],
        ['balance', (text) => text.startsWith('Balance: 0 ₽')],
        ['help', (text) => text === en.menu.helpScreen],
        ['lang', (text) => text === en.menu.languageTitle],
      ];
      for (const [data, expected] of screens) {
        fake.userPresses(user, data, menuId);
        const screen = await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && expected(String(call.params['text'])));
        if (data !== 'plans') assert.equal(buttons(screen).at(-1)?.callback_data, 'menu', `${data} has Back`);
        fake.userPresses(user, 'menu', menuId);
        await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.menu.mainMenu);
      }
      fake.userSends(user, '/help');
      await message(fake, 8201, (text) => text === en.help);
    });
  });

  it('answers commands in a group with a short "write me in private" and ignores other group messages', async () => {
    const { services } = fakeServices();
    await withBot(services, async (fake) => {
      fake.userSends({ id: 8301, language_code: 'ru' }, 'всем привет', { chatId: -100500 });
      fake.userSends({ id: 8301, language_code: 'ru' }, '/start', { chatId: -100500 });
      const reply = await message(fake, -100500, (text) => text === ru.menu.groupChat);
      assert.deepEqual(buttons(reply), [{ text: ru.menu.openPrivateChat, url: 'https://t.me/fake_vpn_bot' }]);
      fake.userSends({ id: 8302, language_code: 'en' }, '/start@some_other_bot', { chatId: -100500 });
      fake.userSends({ id: 8302, language_code: 'en' }, '/plans@fake_vpn_bot', { chatId: -100500 });
      await message(fake, -100500, (text) => text === en.menu.groupChat);
      assert.equal(fake.sent(-100500).length, 2, "plain group messages and other bots' commands get no answer");
    });
  });

  it('switches the language from the menu, stores it, and answers in it from then on', async () => {
    const { services, languages } = fakeServices();
    await withBot(services, async (fake) => {
      const user = { id: 8401, first_name: 'Олег', language_code: 'ru' };
      fake.userSends(user, '/start');
      await message(fake, 8401, (text) => text === ru.menu.mainMenu);
      fake.userPresses(user, 'lang');
      const screen = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && call.params['text'] === ru.menu.languageTitle,
      );
      assert.deepEqual(
        buttons(screen).map((button) => [button.text, button.callback_data]),
        [
          ['✓ Русский', 'setlang:ru'],
          ['English', 'setlang:en'],
          [ru.menu.buttons.menu, 'menu'],
        ],
      );
      const queryId = fake.userPresses(user, 'setlang:en');
      const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
      assert.equal(answer.params['text'], en.menu.languageSet);
      const menu = await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.menu.mainMenu);
      assert.equal(buttons(menu)[0]?.text, en.menu.buttons.buy);
      assert.equal(languages.get(1), 'en', 'stored, so the worker follows it');

      fake.userSends(user, '/terms');
      await message(fake, 8401, (text) => text === en.terms);
      fake.userPresses(user, 'lang');
      const english = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.menu.languageTitle,
      );
      assert.deepEqual(
        buttons(english)
          .slice(0, 2)
          .map((button) => button.text),
        ['Русский', '✓ English'],
      );
      fake.userPresses(user, 'setlang:ru');
      await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.params['text'] === ru.menu.mainMenu);
      fake.userSends(user, '/terms');
      await message(fake, 8401, (text) => text === ru.terms);
    });
  });
});
