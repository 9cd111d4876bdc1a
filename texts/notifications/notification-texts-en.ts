import { formatRub } from '../format-rub';
import type { NotificationParams, NotificationTexts } from './notification-params';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Moscow' });
const money = (kopecks: number): string => formatRub(kopecks, { decimalSeparator: '.', groupSeparator: ',' });
const until = (p: NotificationParams): string => (p.endsAt === undefined ? '' : ` until ${dateFormat.format(p.endsAt)} (Moscow time)`);
const plan = (p: NotificationParams): string => (p.planName === undefined ? '' : ` “${p.planName}”`);
const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

function timeLeft(hours: number): string {
  return hours >= 48 ? count(Math.round(hours / 24), 'day') : count(Math.max(hours, 1), 'hour');
}

function keyLines(p: NotificationParams): string[] {
  return [
    ...(p.subscriptionUrl === undefined
      ? []
      : ['', 'Subscription link (add it to your app; it keeps working if we move you to another server):', p.subscriptionUrl]),
    ...(p.vpnKey === undefined ? [] : ['', 'Key (to import by hand):', p.vpnKey]),
  ];
}

/** English notification texts: plain text, prices like `1,049.50 ₽`, times in Moscow time. */
export const notificationTextsEn: NotificationTexts = {
  key_delivered: (p) =>
    [
      `Your VPN is ready${until(p)}.`,
      ...keyLines(p),
      '',
      'Apps: Hiddify, v2rayNG (Android), Streisand or V2Box (iPhone), Nekoray (desktop). Scan the QR code or paste the link.',
    ].join('\n'),
  provision_delayed: () =>
    'Your payment went through, but your key is taking longer than usual: the server is not answering right now. We will send the key here as soon as it is ready; you need to do nothing.',
  reminder: (p) =>
    [
      `Your subscription${plan(p)} ends${p.hoursLeft === undefined ? ' soon' : ` in ${timeLeft(p.hoursLeft)}`}${p.endsAt === undefined ? '' : `, on ${dateFormat.format(p.endsAt)} (Moscow time)`}.`,
      'Press Renew (or /subscriptions → Renew) to keep the same key working; the new period is added to the current one.',
    ].join('\n'),
  expired: (p) =>
    [
      `Your subscription${plan(p)} has ended and its key is switched off.`,
      'Press Renew (or /subscriptions → Renew) within a few days and the same key works again.',
    ].join('\n'),
  renewed: (p) => `Your subscription${plan(p)} is renewed${until(p)}. Thank you!`,
  reenabled: (p) => `Payment received: your key works again, and your subscription${plan(p)} is active${until(p)}.`,
  moved: (p) =>
    [
      `We moved your subscription to another server${p.serverName === undefined ? '' : ` (${p.serverName})`}.`,
      'If you added the subscription link, refresh the subscription in your app. If you imported the key by hand, replace it with the new one.',
      ...keyLines(p),
    ].join('\n'),
  cancelled: (p) =>
    [`Your subscription${plan(p)} is cancelled and its key is switched off.`, 'If this is a mistake, write to /paysupport.'].join('\n'),
  refunded: (p) =>
    `${p.amountKopecks === undefined ? 'Your payment' : money(p.amountKopecks)} went back to your balance. You can spend it on any plan: /plans`,
  referral_bonus: (p) =>
    `A friend you invited has paid for a subscription. ${p.amountKopecks === undefined ? 'A bonus was' : `${money(p.amountKopecks)} was`} added to your balance. Thank you!`,
  auto_renewed: (p) =>
    `Your subscription${plan(p)} was renewed automatically${until(p)}.${p.amountKopecks === undefined ? '' : ` ${money(p.amountKopecks)} was taken from your balance.`}`,
  auto_renew_topup: (p) =>
    [
      `Your subscription${plan(p)} ends${p.endsAt === undefined ? ' soon' : ` on ${dateFormat.format(p.endsAt)} (Moscow time)`}, and your balance is too low to renew it automatically.`,
      ...(p.amountKopecks === undefined
        ? []
        : [
            `Renewal costs ${money(p.amountKopecks)}${p.balanceKopecks === undefined ? '' : `; your balance is ${money(p.balanceKopecks)}`}.`,
          ]),
      'Top up your balance, or press Renew (/subscriptions) to pay for the renewal by any method.',
    ].join('\n'),
  payment_under_review: (p) =>
    [
      `We received a payment${p.amountKopecks === undefined ? '' : ` for your order of ${money(p.amountKopecks)}`}${plan(p)}, but it does not match the order (the amount, currency or order number differs), so nothing was activated automatically.`,
      'The payment is under review: our support will contact you here. You do not need to pay again. Questions: /paysupport',
    ].join('\n'),
  trial_started: (p) =>
    [
      `Your free trial${p.days === undefined ? '' : ` of ${count(p.days, 'day')}`} has started${p.endsAt === undefined ? '' : `; it lasts${until(p)}`}.`,
      ...keyLines(p),
      '',
      'Apps: Hiddify, v2rayNG (Android), Streisand or V2Box (iPhone), Nekoray (desktop). Scan the QR code or paste the link.',
    ].join('\n'),
  stars_refunded: (p) =>
    [
      `We returned ${p.stars === undefined ? 'your Stars payment' : count(p.stars, 'Star')} to you: ${
        p.refundReason === 'second-charge'
          ? 'this order was already paid, so the second payment was not needed'
          : 'this order could not be completed'
      }.`,
      'Nothing was lost; see /subscriptions, or buy again with /plans.',
    ].join('\n'),
  payment_credited: (p) =>
    [
      `Your payment arrived after the subscription was cancelled, so ${p.amountKopecks === undefined ? 'it' : money(p.amountKopecks)} went to your balance instead.`,
      'You can spend it on any plan: /plans',
    ].join('\n'),
  refunded_to_payer: (p) =>
    [
      `We refunded ${p.stars === undefined ? (p.amountKopecks === undefined ? 'your payment' : money(p.amountKopecks)) : count(p.stars, 'Star')}${plan(p)} ${p.stars === undefined ? 'to the card or account you paid from (banks take up to a few days)' : 'to your Telegram Stars'}.`,
      p.action === 'top_up'
        ? 'It was taken off your balance. Questions: /paysupport'
        : 'The subscription is closed. Questions: /paysupport',
    ].join('\n'),
  payment_failed: (p) =>
    [
      p.reason === 'expired'
        ? `Your order${plan(p)} was not paid in time and is cancelled.`
        : p.reason === 'cancelled'
          ? `Your payment for${plan(p) === '' ? ' your order' : plan(p)} was cancelled by the payment service.`
          : `Your payment for${plan(p) === '' ? ' your order' : plan(p)} failed, so the order was not completed.`,
      'No money was taken.',
      p.action === 'renew'
        ? 'To try again, press Renew (or /subscriptions → Renew).'
        : p.action === 'top_up'
          ? 'To try again, send /topup (or Balance → Top up the balance).'
          : 'To try again, open the main menu (/start) and press “Buy a subscription”.',
    ].join('\n'),
  balance_topped_up: (p) =>
    [
      `Your balance was topped up${p.amountKopecks === undefined ? '' : ` by ${money(p.amountKopecks)}`}.${p.balanceKopecks === undefined ? '' : ` Balance: ${money(p.balanceKopecks)}.`}`,
      'Pay for any plan or renewal with it: choose “From my balance” at checkout (/plans).',
    ].join('\n'),
  gift_paid: (p) =>
    [
      `Your gift${plan(p)} is paid.${p.giftCode === undefined ? '' : ` Gift code: ${p.giftCode}.`}`,
      'Open /gifts for the link to send: the first person to open it gets the subscription.',
    ].join('\n'),
};
