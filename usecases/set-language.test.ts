/**
 * The language a user chooses is stored and the worker's messages follow it, naming the plan in
 * that language (plans carry name and name_en, seeded for the sample plans).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getUserById } from '../sql/repositories/users-repository';
import { listActivePlans } from '../sql/repositories/plans-repository';
import { newActiveSubscription, newUser } from '../test/support/db-fixtures';
import { startLifecycleTestKit, type LifecycleTestKit } from '../test/support/lifecycle-test-kit';
import { planName } from './plan-names';
import { createLanguageService } from './set-language';

let kit: LifecycleTestKit;
before(async () => {
  kit = await startLifecycleTestKit();
});
after(async () => kit.close());

describe('setLanguage and plan names', () => {
  it('every seeded plan has an English name; planName picks by locale', async () => {
    const plans = await listActivePlans(kit.pool);
    assert.deepEqual(
      plans.map((plan) => planName(plan, 'en')),
      ['1 month', '3 months', '6 months', '12 months'],
    );
    assert.deepEqual(
      plans.map((plan) => planName(plan, 'ru')),
      ['1 месяц', '3 месяца', '6 месяцев', '12 месяцев'],
    );
    assert.equal(planName({ name: 'Особый', name_en: null }, 'en'), 'Особый', 'falls back to the Russian name');
  });

  it('stores the choice, and the worker writes in it with the plan in that language', async () => {
    const languages = createLanguageService({ db: kit.pool });
    const user = await newUser(kit.pool);
    const row = await newActiveSubscription(kit.pool, { userId: user.id, planId: kit.monthPlan.id });
    await kit.activities.notifyUser({
      userId: user.id,
      kind: 'renewed',
      key: `renewed:${row.id}:ru`,
      subscriptionId: row.id,
      params: { endsAt: '2026-12-01T00:00:00.000Z' },
    });
    assert.match(String(kit.fake.sent(user.telegram_id)[0]?.params['text']), /^Подписка «1 месяц» продлена/);

    await languages.setLanguage(user.id, 'en');
    assert.equal((await getUserById(kit.pool, user.id))?.language_code, 'en');
    await kit.activities.notifyUser({
      userId: user.id,
      kind: 'renewed',
      key: `renewed:${row.id}:en`,
      subscriptionId: row.id,
      params: { endsAt: '2026-12-01T00:00:00.000Z' },
    });
    assert.match(String(kit.fake.sent(user.telegram_id)[1]?.params['text']), /^Your subscription “1 month” is renewed/);
    await assert.rejects(languages.setLanguage(user.id, 'de' as never), RangeError);
  });
});
