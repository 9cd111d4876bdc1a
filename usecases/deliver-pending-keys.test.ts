/**
 * Late key delivery on Postgres and the fake Telegram: a key message refused with 403 (the user
 * had blocked the bot) is sent when the user next writes, once, with the current key; a trial's
 * message carries the key itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { createTelegramSender } from '../activities/telegram-sender';
import { renderQrBase64 } from '../lib/xui/render-qr';
import { cancelSubscription, setSubscriptionClient } from '../sql/repositories/subscriptions-repository';
import { setUserLanguage } from '../sql/repositories/users-repository';
import { notificationRow } from '../sql/schemas/notification-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';
import { newActiveSubscription, testActor } from '../test/support/db-fixtures';
import { failureOf, startLifecycleTestKit, type LifecycleTestKit } from '../test/support/lifecycle-test-kit';
import { createPendingKeyDelivery, type PendingKeyDelivery } from './deliver-pending-keys';

let kit: LifecycleTestKit;
let pending: PendingKeyDelivery;
before(async () => {
  kit = await startLifecycleTestKit();
  pending = createPendingKeyDelivery({
    db: kit.pool,
    sender: createTelegramSender({ token: kit.fake.token, apiRoot: kit.fake.apiRoot, maxDelaySeconds: 2 }),
    publicBaseUrl: kit.publicBaseUrl,
  });
});
after(async () => kit.close());

async function withKey(language: string): Promise<{ row: SubscriptionRow; vpnKey: string; telegramId: number }> {
  const row = await newActiveSubscription(kit.pool);
  const uuid = `11111111-2222-4333-8444-${String(row.id).padStart(12, '0').slice(-12)}`;
  const vpnKey = `vless://${uuid}@nl.example:443?type=tcp#sub-${row.id}`;
  await setSubscriptionClient(kit.pool, {
    subscriptionId: row.id,
    xuiClientUuid: uuid,
    xuiEmail: `sub-${row.id}@test`,
    xuiSubId: null,
    xuiInboundId: 1,
    vpnKey,
    qrCode: await renderQrBase64(vpnKey),
    actor: testActor,
  });
  const user = await setUserLanguage(kit.pool, { userId: row.user_id, languageCode: language, actor: testActor });
  return { row, vpnKey, telegramId: user.telegram_id };
}

const statusOf = (key: string) =>
  kit.pool.oneFirst(sql.type(notificationRow.pick({ status: true }))`SELECT status FROM notifications WHERE idempotency_key = ${key}`);

describe('deliverPendingKeyMessages', () => {
  it('sends a key message that met a blocked bot once the user writes again, once, with the key', async () => {
    const { row, vpnKey, telegramId } = await withKey('en');
    kit.fake.setBlocked(telegramId, true);
    const key = `key_delivered:${row.id}:first`;
    await assert.rejects(
      kit.activities.notifyUser({ userId: row.user_id, kind: 'key_delivered', key, subscriptionId: row.id, withQr: true }),
      failureOf('TELEGRAM_BLOCKED'),
    );
    assert.equal(await statusOf(key), 'failed');
    kit.fake.setBlocked(telegramId, false);

    const [first, second] = await Promise.all([
      pending.deliverPendingKeyMessages(row.user_id),
      pending.deliverPendingKeyMessages(row.user_id),
    ]);
    assert.equal((first?.delivered ?? 0) + (second?.delivered ?? 0), 1, 'two updates at once deliver it once');
    assert.deepEqual(await pending.deliverPendingKeyMessages(row.user_id), { delivered: 0 });
    const delivered = kit.fake.sent(telegramId).filter((call) => call.ok);
    assert.deepEqual(
      delivered.map((call) => call.method),
      ['sendPhoto'],
    );
    const caption = String(delivered[0]?.params['caption']);
    assert.ok(caption.includes(vpnKey), 'the key itself');
    assert.ok(caption.includes(`${kit.publicBaseUrl}/sub/${row.sub_token}`), 'the subscription link');
    assert.match(caption, /^Your VPN is ready/);
    assert.equal(await statusOf(key), 'sent');
  });

  it('also sends one the worker gave up on after an outage (pending with failed attempts, untouched for 10 minutes), not one still being retried', async () => {
    const { row, vpnKey, telegramId } = await withKey('en');
    kit.fake.injectFailure('sendPhoto', 502, 'Bad Gateway', 10);
    const key = `key_delivered:${row.id}:outage`;
    await assert.rejects(
      kit.activities.notifyUser({ userId: row.user_id, kind: 'key_delivered', key, subscriptionId: row.id, withQr: true }),
      failureOf('TELEGRAM_UNAVAILABLE', false),
    );
    kit.fake.injectFailure('sendPhoto', 502, 'Bad Gateway', 0);
    assert.equal(await statusOf(key), 'pending');
    assert.deepEqual(await pending.deliverPendingKeyMessages(row.user_id), { delivered: 0 }, 'the worker may still retry it');
    await kit.pool.query(sql.unsafe`UPDATE notifications SET scheduled_at = now() - interval '11 minutes' WHERE idempotency_key = ${key}`);
    assert.deepEqual(await pending.deliverPendingKeyMessages(row.user_id), { delivered: 1 });
    assert.equal(await statusOf(key), 'sent');
    assert.ok(String(kit.fake.sent(telegramId).find((call) => call.ok)?.params['caption']).includes(vpnKey));
  });

  it('skips a subscription that is no longer active, and one whose newer key message went through', async () => {
    const cancelled = await withKey('ru');
    kit.fake.setBlocked(cancelled.telegramId, true);
    await assert.rejects(
      kit.activities.notifyUser({
        userId: cancelled.row.user_id,
        kind: 'key_delivered',
        key: `kd:${cancelled.row.id}:a`,
        subscriptionId: cancelled.row.id,
      }),
      failureOf('TELEGRAM_BLOCKED'),
    );
    kit.fake.setBlocked(cancelled.telegramId, false);
    await cancelSubscription(kit.pool, { subscriptionId: cancelled.row.id, actor: testActor });
    assert.deepEqual(await pending.deliverPendingKeyMessages(cancelled.row.user_id), { delivered: 0 });

    const moved = await withKey('ru');
    kit.fake.setBlocked(moved.telegramId, true);
    await assert.rejects(
      kit.activities.notifyUser({
        userId: moved.row.user_id,
        kind: 'key_delivered',
        key: `kd:${moved.row.id}:a`,
        subscriptionId: moved.row.id,
      }),
      failureOf('TELEGRAM_BLOCKED'),
    );
    kit.fake.setBlocked(moved.telegramId, false);
    await kit.activities.notifyUser({
      userId: moved.row.user_id,
      kind: 'moved',
      key: `mv:${moved.row.id}:b`,
      subscriptionId: moved.row.id,
    });
    assert.deepEqual(await pending.deliverPendingKeyMessages(moved.row.user_id), { delivered: 0 });
  });

  it('a trial’s message carries the key and the link itself (no "next message" that never comes)', async () => {
    const { row, vpnKey, telegramId } = await withKey('ru');
    await kit.activities.notifyUser({
      userId: row.user_id,
      kind: 'trial_started',
      key: `trial:${row.id}`,
      subscriptionId: row.id,
      withQr: true,
      params: { days: 3 },
    });
    const caption = String(kit.fake.sent(telegramId)[0]?.params['caption']);
    assert.match(caption, /^Пробный период на 3 дня начался/);
    assert.ok(caption.includes(vpnKey));
    assert.ok(caption.includes(`/sub/${row.sub_token}`));
    assert.doesNotMatch(caption, /следующим сообщением/);
  });
});
