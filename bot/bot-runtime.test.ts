import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeTelegram } from '../fakes/telegram';
import { fakeServices, message, runBot, TOKEN, waitUntil, withBot } from '../test/support/bot-test-kit';
import { en } from './locales';

const textsTo = (fake: Awaited<ReturnType<typeof startFakeTelegram>>, chatId: number) =>
  fake
    .sent(chatId)
    .filter((call) => call.method === 'sendMessage' && call.ok)
    .map((call) => String(call.params['text']));

describe('the bot runtime (runner, per-chat order, update claims)', () => {
  it('a redelivered update (same update_id, after a restart) is neither answered twice nor answered with an error', async () => {
    const { services, claimedUpdates } = fakeServices();
    const fake = await startFakeTelegram({ token: TOKEN });
    try {
      const ann = { id: 5001, first_name: 'Ann', language_code: 'en' };
      await runBot(fake, { services }, async () => {
        fake.userSends(ann, '/start');
        await message(fake, ann.id, (text) => text === en.menu.mainMenu);
      });
      const start = fake.updates().find((update) => (update['message'] as { from?: { id: number } } | undefined)?.from?.id === ann.id);
      assert.ok(start !== undefined);
      assert.ok(claimedUpdates.has(start.update_id), 'the first delivery was claimed');
      const answeredBefore = textsTo(fake, ann.id);
      assert.equal(answeredBefore.length, 2, 'greeting and menu');

      // Telegram never saw the offset confirmed and delivers /start again to the restarted bot.
      fake.redeliver(start.update_id);
      await runBot(fake, { services }, async () => {
        await waitUntil(() => !fake.pendingUpdates().some((update) => update.update_id === start.update_id), 5000);
        // The chat's updates run in order: once this is answered, the redelivered /start was handled.
        const before = fake.sent().length;
        fake.userSends(ann, 'hello');
        await fake.waitFor((call) => call.seq > before && call.chatId === ann.id && call.method === 'sendMessage');
      });
      const answered = textsTo(fake, ann.id);
      assert.deepEqual(
        answered,
        [...answeredBefore, en.menu.unknownInput],
        'the redelivered /start was not answered again, only the new message',
      );
      assert.ok(!answered.includes(en.genericError), 'no "something went wrong"');
    } finally {
      await fake.close();
    }
  });

  it('answers anyway, in Telegram language, when the update cannot be claimed (database down)', async () => {
    const { services } = fakeServices({
      claimUpdate: async () => {
        throw new Error('connection refused');
      },
    });
    await withBot(services, async (fake, logs) => {
      fake.userSends({ id: 5101, first_name: 'Bo', language_code: 'en' }, '/start');
      await message(fake, 5101, (text) => text === en.menu.mainMenu);
      assert.ok(logs.some((line) => line.includes('could not claim the update')));
    });
  });

  it('handles chats in parallel but one chat in order; a pre-checkout waits for nobody, not even its own chat', async () => {
    const base = fakeServices();
    const { services } = base;
    const register = services.registerUser;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = { id: 6001, first_name: 'Slow', language_code: 'en' };
    let gated = false;
    // Only the chat's first update is slow: without per-chat order its second would overtake it.
    services.registerUser = async (input) => {
      if (input.telegramId === slow.id && !gated) {
        gated = true;
        await gate;
      }
      return register(input);
    };
    await withBot(services, async (fake) => {
      // A failed assertion must not leave the gated update holding the bot's stop.
      const timer = setTimeout(() => release(), 8000);
      fake.userSends(slow, '/start');
      fake.userSends(slow, '/start');
      await waitUntil(() => gated && fake.pendingUpdates().length === 0, 5000);

      // Another user is answered while the slow chat is stuck.
      fake.userSends({ id: 6002, first_name: 'Quick', language_code: 'en' }, '/start');
      await message(fake, 6002, (text) => text === en.menu.mainMenu);
      // The stuck user pays a Stars invoice: the pre-checkout is answered at once.
      const startedAt = Date.now();
      const outcome = await fake.userPays(slow, 'order:1', { totalAmount: 150 });
      assert.equal(outcome.status, 'paid', 'pre-checkout answered while the chat was busy');
      assert.ok(Date.now() - startedAt < 2000, `pre-checkout answered in ${Date.now() - startedAt} ms`);
      assert.deepEqual(textsTo(fake, slow.id), [], 'the slow chat has had no answer yet');

      release();
      clearTimeout(timer);
      await message(fake, slow.id, (text) => text === en.paymentReceived);
      const answered = textsTo(fake, slow.id);
      assert.deepEqual(
        answered
          .filter((text) => text.startsWith('Hi, Slow') || text.startsWith('Welcome back, Slow') || text === en.paymentReceived)
          .map((text) => text.split('!')[0]),
        ['Hi, Slow', 'Welcome back, Slow', en.paymentReceived.split('!')[0]],
        "the chat's updates were handled in the order they came",
      );
    });
  });
});
