import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BotPromo } from './bot-services';
import { fakeServices, message, withBot } from '../test/support/bot-test-kit';
import { en } from './locales';

const SPRING: BotPromo = { code: 'SPRING20', percentOff: 20, amountOffKopecks: null };

/** Fake services whose applyPromo knows SPRING20, recording every findUser lookup. */
function promoServices() {
  const applied: Array<{ userId: number; code: string }> = [];
  const kit = fakeServices({
    applyPromo: async ({ userId, code }) => {
      applied.push({ userId, code });
      return code.toUpperCase() === SPRING.code ? SPRING : null;
    },
  });
  const lookups: number[] = [];
  const findUser = kit.services.findUser;
  kit.services.findUser = async (telegramId) => {
    lookups.push(telegramId);
    return findUser(telegramId);
  };
  return { ...kit, applied, lookups };
}

describe('/promo against the fake Telegram', () => {
  it('asks for /start first, explains the usage, applies a good code and refuses a bad one, reading the user from the claim', async () => {
    const { services, applied, lookups } = promoServices();
    await withBot(services, async (fake) => {
      const user = { id: 7301, first_name: 'Ann', language_code: 'en' };
      fake.userSends(user, '/promo SPRING20');
      await message(fake, 7301, (text) => text === en.needStart);
      assert.deepEqual(applied, [], 'nothing applied before /start');

      fake.userSends(user, '/start');
      await message(fake, 7301, (text) => text.startsWith('Hi, Ann!'));
      fake.userSends(user, '/promo');
      await message(fake, 7301, (text) => text === en.promoUsage);
      fake.userSends(user, '/promo spring20');
      await message(fake, 7301, (text) => text === en.promoApplied(SPRING));
      fake.userSends(user, '/promo NOPE');
      await message(fake, 7301, (text) => text === en.promoRejected);
      assert.deepEqual(applied, [
        { userId: 1, code: 'spring20' },
        { userId: 1, code: 'NOPE' },
      ]);
      assert.deepEqual(lookups, [], 'the user comes from the update claim, not a second query');
    });
  });

  it('looks the user up when the update could not be claimed (database hiccup)', async () => {
    const { services, applied, lookups } = promoServices();
    await services.registerUser({ telegramId: 7401, firstName: 'Bo', languageCode: 'en' });
    services.claimUpdate = async () => {
      throw new Error('connection refused');
    };
    await withBot(services, async (fake) => {
      fake.userSends({ id: 7401, first_name: 'Bo', language_code: 'en' }, '/promo SPRING20');
      await message(fake, 7401, (text) => text === en.promoApplied(SPRING));
      fake.userSends({ id: 7402, first_name: 'Cy', language_code: 'en' }, '/promo SPRING20');
      await message(fake, 7402, (text) => text === en.needStart);
      assert.deepEqual(applied, [{ userId: 1, code: 'SPRING20' }]);
      assert.deepEqual(lookups, [7401, 7402]);
    });
  });
});
