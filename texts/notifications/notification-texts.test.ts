import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NotificationKind } from '../../activities/contracts/lifecycle-activities';
import { parseNotificationParams, withoutSecretParams } from './notification-params';
import { notificationButtons, notificationLocale, renderNotification } from './notification-texts';

const KINDS: readonly NotificationKind[] = [
  'key_delivered',
  'provision_delayed',
  'reminder',
  'expired',
  'renewed',
  'reenabled',
  'moved',
  'cancelled',
  'refunded',
  'referral_bonus',
  'auto_renewed',
  'auto_renew_topup',
  'trial_started',
  'stars_refunded',
  'payment_under_review',
  'payment_credited',
  'refunded_to_payer',
  'payment_failed',
  'balance_topped_up',
  'gift_paid',
];

const FULL = {
  endsAt: '2026-12-01T09:30:00.000Z',
  hoursLeft: 72,
  days: 3,
  vpnKey: 'vless://uuid@host:443?type=tcp#srv',
  subscriptionUrl: 'https://vpn.example/sub/abc',
  amountKopecks: '104950',
  balanceKopecks: 1000,
  planName: '1 месяц',
  serverName: 'NL-1',
  stars: 139,
  refundReason: 'second-charge',
};

describe('notification texts', () => {
  it('picks Russian for ru/uk/be/kk and for users without a language, English otherwise', () => {
    for (const code of ['ru', 'uk', 'be', 'kk', 'ru-RU', null]) assert.equal(notificationLocale(code), 'ru', String(code));
    for (const code of ['en', 'de', 'pt-br', 'kz']) assert.equal(notificationLocale(code), 'en', code);
  });

  it('renders every kind in both locales, with and without params, never printing undefined or NaN', () => {
    for (const locale of ['ru', 'en'] as const) {
      for (const kind of KINDS) {
        const variants: Array<Record<string, string | number | null>> = [
          FULL,
          {},
          { endsAt: 'not a date', amountKopecks: 'lots', hoursLeft: 1.5, planName: null },
        ];
        for (const params of variants) {
          const text = renderNotification(kind, locale, params);
          assert.ok(text.length > 20 && text.length <= 1024, `${locale}/${kind}: ${text.length} characters`);
          assert.doesNotMatch(text, /undefined|NaN|null|\[object/, `${locale}/${kind}`);
        }
      }
    }
  });

  it('formats money with integer math and dates in Moscow time', () => {
    assert.match(renderNotification('refunded', 'ru', { amountKopecks: 104950 }), /^1 049,50 ₽ возвращены на ваш баланс/);
    assert.match(renderNotification('refunded', 'en', { amountKopecks: '104950' }), /^1,049\.50 ₽ went back/);
    assert.match(renderNotification('referral_bonus', 'ru', { amountKopecks: '5000' }), /50 ₽ начислены/);
    assert.match(renderNotification('renewed', 'ru', { endsAt: FULL.endsAt }), /до 1 декабря 2026 г\. в 12:30 \(МСК\)/);
    assert.match(renderNotification('renewed', 'en', { endsAt: FULL.endsAt }), /until 1 Dec 2026, 12:30 \(Moscow time\)/);
  });

  it('tells a Stars refund with its Stars and why', () => {
    assert.match(
      renderNotification('stars_refunded', 'en', { stars: 139, refundReason: 'second-charge' }),
      /^We returned 139 Stars to you: this order was already paid/,
    );
    assert.match(
      renderNotification('stars_refunded', 'en', { stars: 1, refundReason: 'order-closed' }),
      /^We returned 1 Star to you: this order could not be completed/,
    );
    assert.match(
      renderNotification('stars_refunded', 'ru', { stars: 139, refundReason: 'second-charge' }),
      /^Мы вернули вам 139 Stars: этот заказ уже был оплачен/,
    );
  });

  it('shows reminders in days or hours with Russian plurals', () => {
    assert.match(renderNotification('reminder', 'ru', { hoursLeft: 72 }), /через 3 дня/);
    assert.match(renderNotification('reminder', 'ru', { hoursLeft: 24 }), /через 24 часа/);
    assert.match(renderNotification('reminder', 'ru', { hoursLeft: 120 }), /через 5 дней/);
    assert.match(renderNotification('reminder', 'en', { hoursLeft: 1 }), /in 1 hour\b/);
  });

  it('puts the key and the subscription URL into key deliveries, and keeps them out of stored params', () => {
    const text = renderNotification('key_delivered', 'en', FULL);
    assert.ok(text.includes(FULL.vpnKey) && text.includes(FULL.subscriptionUrl));
    assert.deepEqual(Object.keys(withoutSecretParams(FULL)).sort(), [
      'amountKopecks',
      'balanceKopecks',
      'days',
      'endsAt',
      'hoursLeft',
      'planName',
      'refundReason',
      'serverName',
      'stars',
    ]);
    assert.deepEqual(parseNotificationParams({ hoursLeft: '12', amountKopecks: 1.5, planName: ' ' }), { hoursLeft: 12 });
  });

  it("puts a Renew button (renew:<id>, in the reader's language) under reminders, the expiry and a failed auto-renewal only", () => {
    assert.deepEqual(notificationButtons('reminder', 'en', 42), [[{ text: '🔄 Renew', callbackData: 'renew:42' }]]);
    assert.deepEqual(notificationButtons('expired', 'ru', 7), [[{ text: '🔄 Продлить', callbackData: 'renew:7' }]]);
    assert.equal(notificationButtons('auto_renew_topup', 'ru', 7).length, 1);
    for (const kind of ['key_delivered', 'renewed', 'trial_started', 'refunded'] as const)
      assert.deepEqual(notificationButtons(kind, 'en', 7), [], kind);
  });
});

describe('payment_failed', () => {
  const render = (locale: 'ru' | 'en', params: Record<string, string>) => renderNotification('payment_failed', locale, params);

  it('says what happened, that no money was taken, the plan and how to buy again, in Russian and English', () => {
    assert.equal(
      render('ru', { reason: 'expired', action: 'buy', planName: '1 месяц' }),
      'Заказ «1 месяц» не был оплачен вовремя и отменён.\nДеньги не списаны.\nЧтобы попробовать ещё раз, откройте главное меню (/start) и нажмите «Купить подписку».',
    );
    assert.equal(
      render('en', { reason: 'expired', action: 'buy', planName: '1 month' }),
      'Your order “1 month” was not paid in time and is cancelled.\nNo money was taken.\nTo try again, open the main menu (/start) and press “Buy a subscription”.',
    );
    assert.equal(
      render('ru', { reason: 'failed', action: 'buy', planName: '1 месяц' }),
      'Платёж за подписку «1 месяц» не прошёл, заказ не выполнен.\nДеньги не списаны.\nЧтобы попробовать ещё раз, откройте главное меню (/start) и нажмите «Купить подписку».',
    );
    assert.equal(
      render('en', { reason: 'failed', action: 'buy', planName: '1 month' }),
      'Your payment for “1 month” failed, so the order was not completed.\nNo money was taken.\nTo try again, open the main menu (/start) and press “Buy a subscription”.',
    );
  });

  it('points a renewal at Renew and names a provider cancel', () => {
    assert.equal(
      render('en', { reason: 'cancelled', action: 'renew', planName: '1 month' }),
      'Your payment for “1 month” was cancelled by the payment service.\nNo money was taken.\nTo try again, press Renew (or /subscriptions → Renew).',
    );
    assert.equal(
      render('ru', { reason: 'cancelled', action: 'renew' }),
      'Платёж за заказ отменён платёжным сервисом.\nДеньги не списаны.\nЧтобы попробовать ещё раз, нажмите «Продлить» (или /subscriptions → «Продлить»).',
    );
  });
});
