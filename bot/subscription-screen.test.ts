import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSubscription, buttons, fakeServices, message, subUrlOf, withBot } from '../test/support/bot-test-kit';
import { en, ru } from './locales';

const edited = (text: string) => (call: { method: string; ok: boolean; params: Record<string, unknown> }) =>
  call.method === 'editMessageText' && call.ok && String(call.params['text']).startsWith(text);

describe('my subscriptions against the fake Telegram', () => {
  it('shows a subscription with days left, traffic, devices, server, the key and link as code, in English', async () => {
    const { services, subscriptions } = fakeServices();
    subscriptions.push(activeSubscription(7, 1));
    const qrTexts: string[] = [];
    const renderQr = async (text: string) => {
      qrTexts.push(text);
      return Buffer.from('png-bytes');
    };
    await withBot(
      services,
      async (fake) => {
        const user = { id: 9001, first_name: 'Ann', language_code: 'en' };
        fake.userSends(user, '/start');
        await message(fake, 9001, (text) => text === en.menu.mainMenu);
        fake.userPresses(user, 'subs');
        const list = await fake.waitFor(edited(en.menu.subscriptionsTitle));
        assert.deepEqual(
          buttons(list).map((button) => button.callback_data),
          ['sub:7', 'plans', 'gifts', 'menu'],
        );
        assert.equal(buttons(list)[0]?.text, '1 месяц · ✅ active · 15 Jan 2030');

        fake.userPresses(user, 'sub:7');
        const screen = await fake.waitFor(edited('<b>1 месяц</b>'));
        assert.equal(screen.params['parse_mode'], 'HTML');
        const text = String(screen.params['text']);
        assert.match(text, /Status: ✅ active/);
        assert.match(text, /Days left: \d+ \(until 15 Jan 2030\)/);
        assert.match(text, /Traffic: 12\.5 GB of 100\.0 GB/);
        assert.match(text, /Devices: up to 5/);
        assert.match(text, /Server: NL-1 \(Amsterdam\)/);
        assert.ok(
          text.includes('<code>vless://uuid-7@nl1.example.test:443?security=reality&amp;type=tcp#sub-7</code>'),
          'the key, escaped, as code',
        );
        assert.ok(text.includes(`<code>${subUrlOf(7)}</code>`));
        assert.deepEqual(
          buttons(screen).map((button) => button.callback_data),
          ['qr:7', 'key:7', 'how:7:android', 'how:7:ios', 'how:7:windows', 'how:7:macos', 'how:7:linux', 'subs', 'menu'],
        );

        fake.userPresses(user, 'qr:7');
        const photo = await fake.waitFor((call) => call.method === 'sendPhoto' && call.ok);
        assert.equal(photo.params['caption'], en.menu.qrCaption(activeSubscription(7, 1)));
        assert.deepEqual(qrTexts, [subUrlOf(7)]);

        fake.userPresses(user, 'key:7');
        const key = await message(fake, 9001, (sent) => sent.startsWith('Your key for'));
        assert.equal(key.params['parse_mode'], 'HTML');
        assert.ok(String(key.params['text']).includes('<code>vless://uuid-7@'));

        fake.userPresses(user, 'how:7:android');
        const android = await fake.waitFor(edited('<b>Android</b>'));
        const how = String(android.params['text']);
        assert.ok(how.includes(`v2rayNG: <code>v2rayng://install-config?url=${encodeURIComponent(subUrlOf(7))}</code>`));
        assert.ok(how.includes(`Hiddify: <code>hiddify://import/${subUrlOf(7)}</code>`));
        assert.ok(how.includes(`Happ: <code>happ://add/${subUrlOf(7)}</code>`));
        assert.ok(how.includes(`v2RayTun: <code>v2raytun://import/${subUrlOf(7)}</code>`));
        const token = subUrlOf(7).split('/sub/')[1];
        assert.deepEqual(
          buttons(android).map((button) => [button.text, button.url ?? button.callback_data]),
          [
            ['📲 Add to v2rayNG', `https://vpn.example.test/import/v2rayng/${token}`],
            ['📲 Add to Hiddify', `https://vpn.example.test/import/hiddify/${token}`],
            ['📲 Add to Happ', `https://vpn.example.test/import/happ/${token}`],
            ['📲 Add to v2RayTun', `https://vpn.example.test/import/v2raytun/${token}`],
            [en.menu.buttons.backToSubscription, 'sub:7'],
            [en.menu.buttons.menu, 'menu'],
          ],
        );
        fake.userPresses(user, 'how:7:ios');
        const ios = await fake.waitFor(edited('<b>iPhone / iPad</b>'));
        assert.ok(String(ios.params['text']).includes(`Streisand: <code>streisand://import/${subUrlOf(7)}</code>`));
        fake.userPresses(user, 'how:7:linux');
        const linux = await fake.waitFor(edited('<b>Linux</b>'));
        assert.ok(String(linux.params['text']).includes('Nekoray: add the subscription link by hand'));
      },
      { renderQr },
    );
  });

  it('shows the screen in Russian, and a subscription without a key yet has no key buttons', async () => {
    const { services, subscriptions } = fakeServices();
    subscriptions.push(activeSubscription(8, 1, { trafficLimitBytes: null, trafficUsedBytes: 0 }));
    subscriptions.push({
      id: 9,
      userId: 1,
      planName: '3 месяца',
      status: 'pending',
      endsAt: null,
      trafficUsedBytes: 0,
      trafficLimitBytes: null,
    });
    await withBot(services, async (fake) => {
      const user = { id: 9101, first_name: 'Олег', language_code: 'ru' };
      fake.userSends(user, '/start');
      await message(fake, 9101, (text) => text === ru.menu.mainMenu);
      fake.userPresses(user, 'sub:8');
      const screen = await fake.waitFor(edited('<b>1 месяц</b>'));
      const text = String(screen.params['text']);
      assert.match(text, /Статус: ✅ активна/);
      assert.match(text, /Осталось: \d+ (день|дня|дней) \(до 15 января 2030 г\.\)/);
      assert.match(text, /Трафик: 0,0 ГБ из безлимита/);
      assert.match(text, /Сервер: NL-1 \(Amsterdam\)/);

      fake.userPresses(user, 'sub:9');
      const pending = await fake.waitFor(edited('<b>3 месяца</b>'));
      assert.match(String(pending.params['text']), /Ключ ещё не готов/);
      assert.deepEqual(
        buttons(pending).map((button) => button.callback_data),
        ['subs', 'menu'],
      );
      const queryId = fake.userPresses(user, 'key:9');
      const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
      assert.equal(answer.params['text'], ru.menu.keyNotReady);

      const renew = fake.userPresses(user, 'renew:8');
      const renewAnswer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === renew);
      assert.equal(renewAnswer.params['text'], ru.menu.renewUnavailable);
    });
  });

  it("never shows another user's subscription: forged and stale ids are answered as out of date", async () => {
    const { services, subscriptions, purchases } = fakeServices();
    subscriptions.push(activeSubscription(7, 1));
    await withBot(services, async (fake) => {
      fake.userSends({ id: 9201, first_name: 'Owner', language_code: 'en' }, '/start');
      await message(fake, 9201, (text) => text === en.menu.mainMenu);
      const thief = { id: 9202, first_name: 'Mallory', language_code: 'en' };
      fake.userSends(thief, '/start');
      await message(fake, 9202, (text) => text === en.menu.mainMenu);
      for (const data of [
        'sub:7',
        'qr:7',
        'key:7',
        'how:7:ios',
        'renew:7',
        'sub:404',
        'sub:07',
        'how:7:symbian',
        'setlang:de',
        'subs:1',
        'menu:x',
      ]) {
        const queryId = fake.userPresses(thief, data);
        const answer = await fake.waitFor((call) => call.method === 'answerCallbackQuery' && call.params['callback_query_id'] === queryId);
        assert.equal(answer.params['text'], en.staleButton, data);
      }
      const leaked = fake.sent(9202).filter((call) => JSON.stringify(call.params).includes('uuid-7') || call.method === 'sendPhoto');
      assert.deepEqual(leaked, [], 'nothing of subscription 7 reached the other user');
      assert.deepEqual(purchases, [], 'no order was created');
    });
  });
});
