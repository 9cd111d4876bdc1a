import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { renderQrBase64 } from '../lib/xui/render-qr';
import { getNotification } from '../sql/repositories/notifications-repository';
import { setSubscriptionClient } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, newUser, testActor } from '../test/support/db-fixtures';
import { setUserLanguage } from '../sql/repositories/users-repository';
import { notificationRow } from '../sql/schemas/notification-row';
import { failureOf, startLifecycleTestKit, type LifecycleTestKit } from '../test/support/lifecycle-test-kit';

let kit: LifecycleTestKit;
before(async () => {
  kit = await startLifecycleTestKit();
});
after(async () => kit.close());

async function notificationByKey(key: string) {
  return kit.pool.one(sql.type(notificationRow)`SELECT * FROM notifications WHERE idempotency_key = ${key}`);
}

async function userWithLanguage(languageCode: string | null) {
  const user = await newUser(kit.pool);
  return languageCode === null ? user : setUserLanguage(kit.pool, { userId: user.id, languageCode, actor: testActor });
}

describe('notifyUser', () => {
  it('sends once per key; a repeat is a duplicate and the outbox row is sent with the message id', async () => {
    const user = await userWithLanguage('en');
    const input = { userId: user.id, kind: 'expired', key: `expired:test:${user.id}` } as const;
    assert.deepEqual(await kit.activities.notifyUser(input), { sent: true, duplicate: false });
    assert.deepEqual(await kit.activities.notifyUser(input), { sent: false, duplicate: true });
    const calls = kit.fake.sent(user.telegram_id);
    assert.deepEqual(
      calls.map((call) => call.method),
      ['sendMessage'],
    );
    assert.match(String(calls[0]?.params['text']), /^Your subscription has ended/);
    const row = await notificationByKey(input.key);
    assert.equal(row.status, 'sent');
    assert.equal(row.type, 'expired');
    assert.equal(row.attempts, 1);
    assert.ok(row.telegram_message_id !== null && row.telegram_message_id > 0);
  });

  it('sends once when the same key is delivered concurrently; a loser retries (NOTIFICATION_IN_FLIGHT) or sees the duplicate', async () => {
    const user = await userWithLanguage('en');
    const input = {
      userId: user.id,
      kind: 'renewed',
      key: `renewed:test:${user.id}`,
      params: { endsAt: '2026-12-01T00:00:00.000Z' },
    } as const;
    const results = await Promise.allSettled([1, 2, 3].map(() => kit.activities.notifyUser(input)));
    const sent = results.filter((result) => result.status === 'fulfilled' && result.value.sent);
    assert.equal(sent.length, 1);
    for (const result of results) {
      if (result.status === 'rejected') failureOf('NOTIFICATION_IN_FLIGHT', false)(result.reason);
      else if (!result.value.sent) assert.deepEqual(result.value, { sent: false, duplicate: true });
    }
    assert.equal(kit.fake.sent(user.telegram_id).length, 1);
    assert.deepEqual(await kit.activities.notifyUser(input), { sent: false, duplicate: true });
  });

  it('writes Russian to a ru user (and to a user without a language), English to others', async () => {
    const ru = await userWithLanguage('ru');
    const unset = await userWithLanguage(null);
    const de = await userWithLanguage('de');
    for (const user of [ru, unset, de]) {
      await kit.activities.notifyUser({
        userId: user.id,
        kind: 'refunded',
        key: `refunded:test:${user.id}`,
        params: { amountKopecks: '24900' },
      });
    }
    assert.equal(
      kit.fake.sent(ru.telegram_id)[0]?.params['text'],
      '249 ₽ возвращены на ваш баланс. Их можно потратить на любой тариф: /plans',
    );
    assert.match(String(kit.fake.sent(unset.telegram_id)[0]?.params['text']), /возвращены на ваш баланс/);
    assert.match(String(kit.fake.sent(de.telegram_id)[0]?.params['text']), /^249 ₽ went back to your balance/);
  });

  it('delivers the key as a photo of the stored QR code, captioned with the key and the subscription URL', async () => {
    const row = await newActiveSubscription(kit.pool);
    const vpnKey = `vless://11111111-2222-4333-8444-555555555555@nl.example:443?type=tcp&security=reality#sub-${row.id}`;
    const qr = await renderQrBase64(vpnKey);
    await setSubscriptionClient(kit.pool, {
      subscriptionId: row.id,
      xuiClientUuid: '11111111-2222-4333-8444-555555555555',
      xuiEmail: `sub-${row.id}@test`,
      xuiSubId: null,
      xuiInboundId: 1,
      vpnKey,
      qrCode: qr,
      actor: testActor,
    });
    const user = await setUserLanguage(kit.pool, { userId: row.user_id, languageCode: 'en', actor: testActor });
    const key = `key:${row.id}`;
    const result = await kit.activities.notifyUser({
      userId: row.user_id,
      kind: 'key_delivered',
      key,
      subscriptionId: row.id,
      withQr: true,
    });
    assert.deepEqual(result, { sent: true, duplicate: false });

    const calls = kit.fake.sent(user.telegram_id);
    assert.deepEqual(
      calls.map((call) => call.method),
      ['sendPhoto'],
    );
    assert.deepEqual(calls[0]?.params['photo'], { byteLength: Buffer.from(qr, 'base64').length, filename: 'qr.png' });
    const caption = String(calls[0]?.params['caption']);
    assert.ok(caption.includes(vpnKey), 'the caption carries the key');
    assert.ok(caption.includes(`${kit.publicBaseUrl}/sub/${row.sub_token}`), 'the caption carries the subscription URL');

    const stored = await notificationByKey(key);
    assert.ok(
      stored.message !== null && !stored.message.includes(vpnKey) && !stored.message.includes(row.sub_token),
      'the outbox keeps no credentials',
    );
    assert.match(stored.message ?? '', /\[hidden\]/);
  });

  it('types a blocked user TELEGRAM_BLOCKED (non-retryable) and marks the message failed for good', async () => {
    const user = await userWithLanguage('ru');
    kit.fake.setBlocked(user.telegram_id, true);
    const input = { userId: user.id, kind: 'reminder', key: `reminder:test:${user.id}`, params: { hoursLeft: 24 } } as const;
    await assert.rejects(kit.activities.notifyUser(input), failureOf('TELEGRAM_BLOCKED'));
    const row = await notificationByKey(input.key);
    assert.equal(row.status, 'failed');
    assert.equal(row.attempts, 1);
    assert.match(row.last_error ?? '', /403/);
    assert.deepEqual(await kit.activities.notifyUser(input), { sent: false, duplicate: true });
    assert.equal((await getNotification(kit.pool, row.id))?.status, 'failed');
  });

  it('keeps a message pending after a transient failure and sends it on the next attempt', async () => {
    const user = await userWithLanguage('en');
    const input = { userId: user.id, kind: 'provision_delayed', key: `delayed:test:${user.id}` } as const;
    kit.fake.injectRateLimit('sendMessage', 120);
    await assert.rejects(kit.activities.notifyUser(input), failureOf('TELEGRAM_UNAVAILABLE', false));
    const pending = await notificationByKey(input.key);
    assert.deepEqual([pending.status, pending.attempts], ['pending', 1]);
    assert.deepEqual(await kit.activities.notifyUser(input), { sent: true, duplicate: false });
    assert.equal((await notificationByKey(input.key)).attempts, 2);
  });

  it("refuses unknown users, other users' subscriptions and a key reused for another message", async () => {
    const user = await userWithLanguage('en');
    const row = await newActiveSubscription(kit.pool);
    await assert.rejects(kit.activities.notifyUser({ userId: 987_654, kind: 'expired', key: 'nobody' }), failureOf('NOT_FOUND'));
    await assert.rejects(
      kit.activities.notifyUser({ userId: user.id, kind: 'expired', key: `x:${user.id}`, subscriptionId: row.id }),
      failureOf('INVALID_INPUT'),
    );
    await kit.activities.notifyUser({ userId: user.id, kind: 'expired', key: `reuse:${user.id}` });
    await assert.rejects(
      kit.activities.notifyUser({ userId: user.id, kind: 'cancelled', key: `reuse:${user.id}` }),
      failureOf('IDEMPOTENCY_KEY_REUSED'),
    );
  });
});
