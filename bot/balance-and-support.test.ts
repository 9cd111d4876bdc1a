import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSubscription, buttons, fakeServices, message, withBot } from '../test/support/bot-test-kit';
import { en, ru } from './locales';

const SUPPORT_CHAT = -100777;

describe('balance, referrals and support against the fake Telegram', () => {
  it('shows the balance, the personal referral link, invited users and bonus earned, in English and Russian', async () => {
    const { services, accounts } = fakeServices({ paymentMethods: async () => ['stars', 'balance'] });
    accounts.set(1, { balanceKopecks: 15_050, referralCode: 'ANN42', invitedCount: 3, bonusEarnedKopecks: 7_500 });
    await withBot(services, async (fake) => {
      const ann = { id: 9301, first_name: 'Ann', language_code: 'en' };
      fake.userSends(ann, '/start');
      await message(fake, 9301, (text) => text === en.menu.mainMenu);
      fake.userPresses(ann, 'balance');
      const screen = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('Balance:'),
      );
      assert.equal(
        screen.params['text'],
        [
          'Balance: 150.50 ₽',
          '',
          'Invite friends and get a bonus on your balance when they pay.',
          'Your referral link: https://t.me/fake_vpn_bot?start=ref_ANN42',
          'Invited: 3 · bonus earned: 75 ₽',
        ].join('\n'),
      );
      assert.deepEqual(
        buttons(screen).map((button) => [button.text, button.callback_data]),
        [
          [en.menu.buttons.payFromBalance, 'plans'],
          [en.menu.buttons.topUp, 'topup'],
          [en.menu.buttons.menu, 'menu'],
        ],
      );

      const oleg = { id: 9302, first_name: 'Олег', language_code: 'ru' };
      fake.userSends(oleg, '/start');
      await message(fake, 9302, (text) => text === ru.menu.mainMenu);
      fake.userPresses(oleg, 'balance');
      const russian = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('Баланс:'),
      );
      assert.match(String(russian.params['text']), /^Баланс: 0 ₽\n/);
      assert.match(String(russian.params['text']), /Ваша реферальная ссылка: https:\/\/t\.me\/fake_vpn_bot\?start=ref_code2\n/);
      assert.match(String(russian.params['text']), /Приглашено: 0 · бонусов получено: 0 ₽$/);
      assert.deepEqual(
        buttons(russian).map((button) => button.callback_data),
        ['topup', 'menu'],
        'no pay-from-balance with an empty balance; a top-up while Stars are on offer',
      );
    });
  });

  it('tops up the balance: amounts, methods without the balance, a payment link or a Stars invoice; /topup with any amount', async () => {
    const { services, topUps } = fakeServices({ paymentMethods: async () => ['card', 'stars', 'balance'] });
    await withBot(services, async (fake) => {
      const ann = { id: 9311, first_name: 'Ann', language_code: 'en' };
      fake.userSends(ann, '/start');
      await message(fake, 9311, (text) => text === en.menu.mainMenu);
      fake.userPresses(ann, 'balance');
      await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('Balance:'));
      fake.userPresses(ann, 'topup');
      const amounts = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('How much'),
      );
      assert.equal(
        amounts.params['text'],
        'How much would you like to put on your balance? Choose an amount, or send /topup with any amount from 50 ₽ to 50,000 ₽, e.g. /topup 750.',
      );
      assert.deepEqual(
        buttons(amounts).map((button) => [button.text, button.callback_data]),
        [
          ['100 ₽', 'tamt:100'],
          ['300 ₽', 'tamt:300'],
          ['500 ₽', 'tamt:500'],
          ['1,000 ₽', 'tamt:1000'],
          ['2,000 ₽', 'tamt:2000'],
          ['5,000 ₽', 'tamt:5000'],
          [en.menu.buttons.backToBalance, 'balance'],
        ],
      );
      assert.deepEqual(
        (amounts.params['reply_markup'] as { inline_keyboard: unknown[][] }).inline_keyboard.map((row) => row.length),
        [3, 3, 1],
        'three amounts a row, no empty row before Back',
      );
      fake.userPresses(ann, 'tamt:300');
      const methods = await fake.waitFor(
        (call) => call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith('Top up the balance by'),
      );
      assert.equal(methods.params['text'], 'Top up the balance by 300 ₽. How would you like to pay?');
      assert.deepEqual(
        buttons(methods).map((button) => button.callback_data),
        ['tpay:300:card', 'tpay:300:stars', 'topup'],
        'every method but the balance itself',
      );
      fake.userPresses(ann, 'tpay:300:card');
      const link = await message(fake, 9311, (text) => text.startsWith('To put 300 ₽ on your balance'));
      assert.deepEqual(buttons(link), [{ text: en.payButton, url: 'https://pay.example.test/top-up/1' }]);
      fake.userPresses(ann, 'tpay:300:stars');
      const invoice = await fake.waitFor((call) => call.method === 'sendInvoice' && call.ok);
      assert.equal(invoice.params['title'], 'Balance top-up');
      assert.deepEqual(invoice.params['prices'], [{ label: 'Balance top-up', amount: 150 }]);
      const paid = await fake.userPays(ann, String(invoice.params['payload']));
      assert.equal(paid.status, 'paid');
      await message(fake, 9311, (text) => text === en.paymentReceived);

      fake.userSends(ann, '/topup 750');
      const typed = await message(fake, 9311, (text) => text === 'Top up the balance by 750 ₽. How would you like to pay?');
      assert.deepEqual(
        buttons(typed).map((button) => button.callback_data),
        ['tpay:750:card', 'tpay:750:stars', 'topup'],
      );
      fake.userSends(ann, '/topup 10');
      await message(fake, 9311, (text) => text === en.purchaseRejected['amount-invalid']);
      fake.userSends(ann, '/topup 12.50');
      await message(
        fake,
        9311,
        (text) =>
          text === en.purchaseRejected['amount-invalid'] && fake.sent(9311).filter((call) => call.params['text'] === text).length === 2,
      );

      // Forged and stale data: the balance as a method, amounts out of bounds, malformed. Nothing is ordered.
      for (const data of ['tpay:300:balance', 'tpay:10:card', 'tpay:99999999:card', 'tamt:10', 'tamt:abc', 'topup:1', 'tpay:300:paypal']) {
        const queryId = fake.userPresses(ann, data);
        const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
        assert.equal(answer.params['text'], en.staleButton, data);
      }
      assert.deepEqual(topUps, [
        { userId: 1, rub: 300, method: 'card' },
        { userId: 1, rub: 300, method: 'stars' },
      ]);

      const oleg = { id: 9312, first_name: 'Олег', language_code: 'ru' };
      fake.userPresses(oleg, 'tpay:300:card');
      await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['text'] === ru.needStart);
      fake.userSends(oleg, '/start');
      await message(fake, 9312, (text) => text === ru.menu.mainMenu);
      fake.userSends(oleg, '/topup 300 ₽');
      const russian = await message(fake, 9312, (text) => text === 'Пополнение баланса на 300 ₽. Как оплатить?');
      assert.deepEqual(
        buttons(russian).map((button) => button.text),
        [ru.paymentMethods.card, ru.paymentMethods.stars, ru.menu.buttons.backToBalance],
      );
      fake.userPresses(oleg, 'tpay:300:card');
      await message(fake, 9312, (text) => text === 'Чтобы внести 300 ₽ на баланс, откройте страницу оплаты:');
    });
  });

  it("passes a user's question to the support chat with who wrote and their subscriptions, and the operator's reply back", async () => {
    const { services, subscriptions } = fakeServices();
    subscriptions.push(activeSubscription(7, 1));
    const lookups: number[] = [];
    const findUser = services.findUser;
    services.findUser = async (telegramId) => {
      lookups.push(telegramId);
      return findUser(telegramId);
    };
    await withBot(
      services,
      async (fake) => {
        const user = { id: 9401, first_name: 'Ann', username: 'ann', language_code: 'en' };
        fake.userSends(user, '/start');
        await message(fake, 9401, (text) => text === en.menu.mainMenu);
        fake.userPresses(user, 'help');
        const help = await fake.waitFor(
          (call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.menu.helpScreen,
        );
        assert.deepEqual(
          buttons(help).map((button) => button.callback_data),
          ['support', 'menu'],
        );
        fake.userPresses(user, 'support');
        const prompt = await message(fake, 9401, (text) => text === en.menu.supportPrompt);
        assert.deepEqual(prompt.params['reply_markup'], { force_reply: true, input_field_placeholder: '…' });
        const promptId = fake.state.chats.list(9401).findLast((entry) => entry.message.text === en.menu.supportPrompt)?.message.message_id;

        fake.userSends(user, 'My VPN does not connect on iOS', { replyTo: promptId });
        await message(fake, 9401, (text) => text === en.menu.supportSent);
        const ticket = await message(fake, SUPPORT_CHAT, (text) => text.includes('#tg9401'));
        assert.deepEqual(lookups, [], 'the ticket names the user the update claim found, without a second query');
        assert.equal(
          ticket.params['text'],
          [
            '✉️ From Ann (@ann) #tg9401, user 1',
            '• #7 1 месяц: active until 15 Jan 2030',
            'Reply to this message to answer.',
            '',
            'My VPN does not connect on iOS',
          ].join('\n'),
        );

        // Free text that is not a reply to the prompt is not passed on.
        fake.userSends(user, 'just chatting');
        await message(fake, 9401, (text) => text === en.menu.unknownInput);
        assert.equal(fake.sent(SUPPORT_CHAT).length, 1);

        lookups.length = 0;
        const ticketId = fake.state.chats.list(SUPPORT_CHAT).findLast((entry) => entry.from === 'bot')?.message.message_id;
        fake.userSends({ id: 555, first_name: 'Operator', language_code: 'ru' }, 'Обновите подписку в приложении, пожалуйста.', {
          chatId: SUPPORT_CHAT,
          replyTo: ticketId,
        });
        await message(fake, 9401, (text) => text === en.menu.supportReply('Обновите подписку в приложении, пожалуйста.'));
        await message(fake, SUPPORT_CHAT, (text) => text === ru.menu.supportDelivered);
        assert.deepEqual(lookups, [9401], "the operator's reply looks up the ticket's user for their language");

        // Plain chatter in the support chat is ignored; a reply to a user who blocked the bot is reported.
        fake.userSends(555, 'coffee?', { chatId: SUPPORT_CHAT });
        fake.setBlocked(9401, true);
        fake.userSends(555, 'Are you there?', { chatId: SUPPORT_CHAT, replyTo: ticketId });
        await message(fake, SUPPORT_CHAT, (text) => text === ru.menu.supportNotDelivered);
        assert.equal(fake.sent(SUPPORT_CHAT).filter((call) => call.ok).length, 3, 'ticket, delivered, not delivered; nothing for chatter');
      },
      { supportChatId: SUPPORT_CHAT },
    );
  });

  it('answers in Russian and forwards a Russian ticket; without a support chat the Help screen has no write button', async () => {
    const { services } = fakeServices();
    await withBot(
      services,
      async (fake) => {
        const user = { id: 9501, first_name: 'Олег', language_code: 'ru' };
        fake.userSends(user, '/start');
        await message(fake, 9501, (text) => text === ru.menu.mainMenu);
        fake.userPresses(user, 'support');
        await message(fake, 9501, (text) => text === ru.menu.supportPrompt);
        const promptId = fake.state.chats.list(9501).findLast((entry) => entry.message.text === ru.menu.supportPrompt)?.message.message_id;
        fake.userSends(user, 'Не проходит оплата', { replyTo: promptId });
        await message(fake, 9501, (text) => text === ru.menu.supportSent);
        const ticket = await message(fake, SUPPORT_CHAT, (text) => text.includes('#tg9501'));
        assert.equal(
          ticket.params['text'],
          [
            '✉️ От Олег #tg9501, пользователь 1',
            'Подписок нет.',
            'Ответьте на это сообщение, чтобы ответить пользователю.',
            '',
            'Не проходит оплата',
          ].join('\n'),
        );
      },
      { supportChatId: SUPPORT_CHAT },
    );
    await withBot(services, async (fake) => {
      const user = { id: 9502, first_name: 'Ann', language_code: 'en' };
      fake.userSends(user, '/start');
      await message(fake, 9502, (text) => text === en.menu.mainMenu);
      fake.userPresses(user, 'help');
      const help = await fake.waitFor((call) => call.method === 'editMessageText' && call.ok && call.params['text'] === en.menu.helpScreen);
      assert.deepEqual(
        buttons(help).map((button) => button.callback_data),
        ['menu'],
      );
      const queryId = fake.userPresses(user, 'support');
      const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
      assert.equal(answer.params['text'], en.menu.supportUnavailable);
    });
  });
});
