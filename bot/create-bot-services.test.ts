import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type DatabasePool } from 'slonik';
import { createBotServices } from './create-bot-services';
import { creditReferralBonus } from '../sql/repositories/referrals-repository';
import { listActivePlans } from '../sql/repositories/plans-repository';
import { setSubscriptionClient } from '../sql/repositories/subscriptions-repository';
import { getUserById } from '../sql/repositories/users-repository';
import { notificationLocale } from '../texts/notifications/notification-texts';
import { newActiveSubscription, newPayment, newServer, newUser, testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';

let db: TestDatabase;
let pool: DatabasePool;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
});
after(async () => db.drop());

describe('the bot services on Postgres: subscription screen, balance & referrals, language', () => {
  it("shows a user their own subscription with key, link, traffic, devices and server, and never someone else's", async () => {
    const services = createBotServices({ db: pool, adminTelegramIds: [], paymentMethods: [], publicBaseUrl: 'https://vpn.example.test' });
    const [plan] = await listActivePlans(pool);
    assert.ok(plan !== undefined);
    const owner = await newUser(pool);
    const other = await newUser(pool);
    const subscription = await newActiveSubscription(pool, { planId: plan.id, userId: owner.id, days: 30 });
    const server = await newServer(pool, 10, `nl-${owner.id}`);
    await setSubscriptionClient(pool, {
      subscriptionId: subscription.id,
      xuiClientUuid: '3f1c2b4a-0000-4000-8000-00000000abcd',
      xuiEmail: `sub-${subscription.id}@test`,
      xuiSubId: null,
      xuiInboundId: 1,
      vpnKey: 'vless://3f1c2b4a@nl.example:443?security=reality#x',
      qrCode: null,
      actor: testActor,
    });
    await pool.query(
      sql.unsafe`UPDATE subscriptions SET server_id = ${server.id}, traffic_used = ${3 * 1024 ** 3} WHERE id = ${subscription.id}`,
    );

    const details = await services.subscriptionDetails({ userId: owner.id, subscriptionId: subscription.id });
    assert.deepEqual(details, {
      id: subscription.id,
      planName: plan.name,
      status: 'active',
      endsAt: subscription.end_date,
      vpnKey: 'vless://3f1c2b4a@nl.example:443?security=reality#x',
      subscriptionUrl: `https://vpn.example.test/sub/${subscription.sub_token}`,
      trafficUsedBytes: 3 * 1024 ** 3,
      trafficLimitBytes: null,
      devices: 5,
      server: { name: server.name, location: server.location },
    });
    assert.equal(await services.subscriptionDetails({ userId: other.id, subscriptionId: subscription.id }), null, "another user's id");
    assert.equal(await services.subscriptionDetails({ userId: owner.id, subscriptionId: 2_000_000_000 }), null, 'no such id');
    const [listed] = await services.mySubscriptions(owner.id);
    assert.equal(listed?.subscriptionUrl, `https://vpn.example.test/sub/${subscription.sub_token}`);
  });

  it('sums the balance, the invited users and the bonus credited for them', async () => {
    const services = createBotServices({ db: pool, adminTelegramIds: [], paymentMethods: [] });
    const referrer = await newUser(pool);
    const paying = await newUser(pool, { referralCode: referrer.referral_code });
    await newUser(pool, { referralCode: referrer.referral_code });
    const payment = await newPayment(pool, { userId: paying.id, completed: true });
    await creditReferralBonus(pool, { referredId: paying.id, bonusAmount: '50.25', sourcePaymentId: payment.id, actor: testActor });

    assert.deepEqual(await services.accountSummary(referrer.id), {
      balanceKopecks: 5_025,
      referralCode: referrer.referral_code,
      invitedCount: 2,
      bonusEarnedKopecks: 5_025,
    });
    assert.deepEqual(await services.accountSummary(paying.id), {
      balanceKopecks: 0,
      referralCode: paying.referral_code,
      invitedCount: 0,
      bonusEarnedKopecks: 0,
    });
  });

  it("stores the chosen language, which the bot's locale and the worker's messages then follow", async () => {
    const services = createBotServices({ db: pool, adminTelegramIds: [], paymentMethods: [] });
    const { userId } = await services.registerUser({ telegramId: 77_000_123, firstName: 'Ann', languageCode: 'ru' });
    assert.equal((await services.findUser(77_000_123))?.languageCode, 'ru');
    await services.setLanguage({ userId, language: 'en' });
    assert.equal((await services.findUser(77_000_123))?.languageCode, 'en');
    const row = await getUserById(pool, userId);
    assert.equal(notificationLocale(row?.language_code ?? null), 'en', 'the worker reads the same column');
  });
});
