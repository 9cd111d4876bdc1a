import { formatRub } from '../format-rub';
import type { NotificationParams, NotificationTexts } from './notification-params';
import { russianDays, russianPlural } from '../../lib/i18n/russian-plural';

const dateFormat = new Intl.DateTimeFormat('ru-RU', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Moscow' });
const money = (kopecks: number): string => formatRub(kopecks, { decimalSeparator: ',', groupSeparator: ' ' });
const at = (date: Date): string => `${dateFormat.format(date)} (МСК)`;
const until = (p: NotificationParams): string => (p.endsAt === undefined ? '' : ` до ${at(p.endsAt)}`);
const plan = (p: NotificationParams): string => (p.planName === undefined ? '' : ` «${p.planName}»`);

const plural = russianPlural;
const days = russianDays;
const hours = (n: number): string => `${n} ${plural(n, ['час', 'часа', 'часов'])}`;
const timeLeft = (h: number): string => (h >= 48 ? days(Math.round(h / 24)) : hours(Math.max(h, 1)));

function keyLines(p: NotificationParams): string[] {
  return [
    ...(p.subscriptionUrl === undefined
      ? []
      : ['', 'Ссылка-подписка (добавьте её в приложение; она продолжит работать, даже если мы сменим сервер):', p.subscriptionUrl]),
    ...(p.vpnKey === undefined ? [] : ['', 'Ключ (для ручного импорта):', p.vpnKey]),
  ];
}

/** Russian notification texts: plain text, цены вида `1 049,50 ₽`, время московское. */
export const notificationTextsRu: NotificationTexts = {
  key_delivered: (p) =>
    [
      `Ваш VPN готов${p.endsAt === undefined ? '' : ` и работает${until(p)}`}.`,
      ...keyLines(p),
      '',
      'Приложения: Hiddify, v2rayNG (Android), Streisand или V2Box (iPhone), Nekoray (компьютер). Отсканируйте QR-код или вставьте ссылку.',
    ].join('\n'),
  provision_delayed: () =>
    'Оплата получена, но ключ задерживается: сервер сейчас не отвечает. Мы пришлём ключ сюда, как только он будет готов, ничего делать не нужно.',
  reminder: (p) =>
    [
      `Подписка${plan(p)} заканчивается${p.hoursLeft === undefined ? ' скоро' : ` через ${timeLeft(p.hoursLeft)}`}${p.endsAt === undefined ? '' : `, ${at(p.endsAt)}`}.`,
      'Нажмите «Продлить» (или /subscriptions → «Продлить»), чтобы тот же ключ работал дальше; новый срок добавится к текущему.',
    ].join('\n'),
  expired: (p) =>
    [
      `Срок подписки${plan(p)} истёк, ключ отключён.`,
      'Нажмите «Продлить» (или /subscriptions → «Продлить») в ближайшие дни, и тот же ключ снова заработает.',
    ].join('\n'),
  renewed: (p) => `Подписка${plan(p)} продлена${until(p)}. Спасибо!`,
  reenabled: (p) => `Оплата получена: ключ снова работает, подписка${plan(p)} активна${until(p)}.`,
  moved: (p) =>
    [
      `Мы перенесли вашу подписку на другой сервер${p.serverName === undefined ? '' : ` (${p.serverName})`}.`,
      'Если вы добавили ссылку-подписку, обновите подписку в приложении. Если ключ импортирован вручную, замените его новым.',
      ...keyLines(p),
    ].join('\n'),
  cancelled: (p) => [`Подписка${plan(p)} отменена, ключ отключён.`, 'Если это ошибка, напишите в /paysupport.'].join('\n'),
  refunded: (p) =>
    `${p.amountKopecks === undefined ? 'Платёж возвращён' : `${money(p.amountKopecks)} возвращены`} на ваш баланс. Их можно потратить на любой тариф: /plans`,
  referral_bonus: (p) =>
    `Приглашённый вами друг оплатил подписку. ${p.amountKopecks === undefined ? 'Бонус начислен' : `${money(p.amountKopecks)} начислены`} на ваш баланс. Спасибо!`,
  auto_renewed: (p) =>
    `Подписка${plan(p)} продлена автоматически${until(p)}.${p.amountKopecks === undefined ? '' : ` С баланса списано ${money(p.amountKopecks)}.`}`,
  auto_renew_topup: (p) =>
    [
      `Подписка${plan(p)} заканчивается${p.endsAt === undefined ? ' скоро' : ` ${at(p.endsAt)}`}, а для автопродления на балансе не хватает средств.`,
      ...(p.amountKopecks === undefined
        ? []
        : [`Продление стоит ${money(p.amountKopecks)}${p.balanceKopecks === undefined ? '' : `, на балансе ${money(p.balanceKopecks)}`}.`]),
      'Пополните баланс или нажмите «Продлить» (/subscriptions), чтобы оплатить продление любым способом.',
    ].join('\n'),
  payment_under_review: (p) =>
    [
      `Мы получили платёж${p.amountKopecks === undefined ? '' : ` по заказу на ${money(p.amountKopecks)}`}${plan(p)}, но он не совпадает с заказом (сумма, валюта или номер заказа), поэтому подписка не активирована автоматически.`,
      'Платёж на проверке: поддержка свяжется с вами здесь. Платить повторно не нужно. Вопросы: /paysupport',
    ].join('\n'),
  trial_started: (p) =>
    [
      `Пробный период${p.days === undefined ? '' : ` на ${days(p.days)}`} начался${p.endsAt === undefined ? '' : ` и продлится до ${at(p.endsAt)}`}.`,
      ...keyLines(p),
      '',
      'Приложения: Hiddify, v2rayNG (Android), Streisand или V2Box (iPhone), Nekoray (компьютер). Отсканируйте QR-код или вставьте ссылку.',
    ].join('\n'),
  stars_refunded: (p) =>
    [
      `Мы вернули вам ${p.stars === undefined ? 'оплату в Stars' : `${p.stars} Stars`}: ${
        p.refundReason === 'second-charge' ? 'этот заказ уже был оплачен, второй платёж не понадобился' : 'этот заказ не удалось выполнить'
      }.`,
      'Ничего не потеряно: см. /subscriptions или купите снова через /plans.',
    ].join('\n'),
  payment_credited: (p) =>
    [
      `Оплата получена, но подписка уже отменена, поэтому ${p.amountKopecks === undefined ? 'сумма зачислена' : `${money(p.amountKopecks)} зачислены`} на ваш баланс.`,
      'Их можно потратить на любой тариф: /plans',
    ].join('\n'),
  refunded_to_payer: (p) =>
    [
      `Мы вернули ${p.stars === undefined ? (p.amountKopecks === undefined ? 'ваш платёж' : money(p.amountKopecks)) : `${p.stars} Stars`}${p.planName === undefined ? '' : ` за «${p.planName}»`} ${p.stars === undefined ? 'на карту или счёт, с которого вы платили (банк зачисляет до нескольких дней)' : 'на ваш баланс Telegram Stars'}.`,
      p.action === 'top_up' ? 'Эта сумма списана с баланса. Вопросы: /paysupport' : 'Подписка закрыта. Вопросы: /paysupport',
    ].join('\n'),
  payment_failed: (p) =>
    [
      p.reason === 'expired'
        ? `Заказ${plan(p)} не был оплачен вовремя и отменён.`
        : p.reason === 'cancelled'
          ? `Платёж за ${plan(p) === '' ? 'заказ' : `подписку${plan(p)}`} отменён платёжным сервисом.`
          : `Платёж за ${plan(p) === '' ? 'заказ' : `подписку${plan(p)}`} не прошёл, заказ не выполнен.`,
      'Деньги не списаны.',
      p.action === 'renew'
        ? 'Чтобы попробовать ещё раз, нажмите «Продлить» (или /subscriptions → «Продлить»).'
        : p.action === 'top_up'
          ? 'Чтобы попробовать ещё раз, отправьте /topup (или «Баланс» → «Пополнить баланс»).'
          : 'Чтобы попробовать ещё раз, откройте главное меню (/start) и нажмите «Купить подписку».',
    ].join('\n'),
  balance_topped_up: (p) =>
    [
      `Баланс пополнен${p.amountKopecks === undefined ? '' : ` на ${money(p.amountKopecks)}`}.${p.balanceKopecks === undefined ? '' : ` На балансе: ${money(p.balanceKopecks)}.`}`,
      'Им можно оплатить любой тариф или продление: выберите «С баланса» при оплате (/plans).',
    ].join('\n'),
  gift_paid: (p) =>
    [
      `Подарок${plan(p)} оплачен.${p.giftCode === undefined ? '' : ` Код подарка: ${p.giftCode}.`}`,
      'Ссылку для отправки найдёте в /gifts: подписку получит первый, кто её откроет.',
    ].join('\n'),
};
