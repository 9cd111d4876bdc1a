import type { AccountSummary, BotSubscription, SubscriptionDetails } from '../bot-services';
import { importLink, type ConnectApp, type Platform } from '../../lib/vpn-apps/connect-apps';
import { escapeHtml } from '../html';
import { daysLeft, type MenuTexts } from './menu-en';
import { formatRub } from '../../texts/format-rub';
import { russianDays } from '../../lib/i18n/russian-plural';

const price = (kopecks: number): string => formatRub(kopecks, { decimalSeparator: ',', groupSeparator: ' ' });
const dateFormat = new Intl.DateTimeFormat('ru-RU', { dateStyle: 'long', timeZone: 'Europe/Moscow' });
const gb = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1).replace('.', ',')} ГБ`;

const STATUS: Record<BotSubscription['status'], string> = {
  pending: '⏳ ожидает оплаты',
  active: '✅ активна',
  expired: '⌛ истекла',
  cancelled: '✖ отменена',
};

const platforms = { android: 'Android', ios: 'iPhone / iPad', windows: 'Windows', macos: 'macOS', linux: 'Linux' } satisfies Record<
  Platform,
  string
>;

/** Russian texts of the menu screens; see {@link menuEn} in menu-en.ts. */
export const menuRu: MenuTexts = {
  mainMenu: 'Главное меню: что хотите сделать?',
  unknownInput: 'Я не понял сообщение. Вот меню:',
  buttons: {
    buy: '🛒 Купить подписку',
    subscriptions: '🔑 Мои подписки',
    balance: '💰 Баланс и рефералы',
    help: '💬 Помощь и поддержка',
    language: '🌐 Язык',
    menu: '« Главное меню',
    backToSubscriptions: '« Мои подписки',
    backToSubscription: '« К подписке',
    qr: '📷 QR-код',
    sendKey: '🔁 Прислать ключ ещё раз',
    renew: '🔄 Продлить',
    writeSupport: '✉️ Написать в поддержку',
    openIn: (app: string) => `📲 Добавить в ${app}`,
    payFromBalance: '🛒 Оплатить с баланса',
    topUp: '➕ Пополнить баланс',
    backToBalance: '« Баланс',
  },
  topUp: {
    chooseAmount: (bounds: { min: number; max: number }) =>
      `На какую сумму пополнить баланс? Выберите сумму или отправьте /topup с любой суммой от ${price(bounds.min * 100)} до ${price(bounds.max * 100)}, например /topup 750.`,
    amountButton: (rub: number) => price(rub * 100),
    chooseMethod: (rub: number) => `Пополнение баланса на ${price(rub * 100)}. Как оплатить?`,
    payByLink: (rub: number) => `Чтобы внести ${price(rub * 100)} на баланс, откройте страницу оплаты:`,
    starsTitle: 'Пополнение баланса',
    starsDescription: (rub: number) => `${price(rub * 100)} на баланс VPN: им можно оплатить любой тариф или продление.`,
    noMethods: 'Пополнение сейчас недоступно. Попробуйте позже или напишите в /paysupport.',
  },
  groupChat: 'Я работаю только в личных сообщениях. Напишите мне напрямую.',
  openPrivateChat: 'Открыть личный чат',
  subscriptionsTitle: 'Ваши подписки: выберите, чтобы увидеть ключ и как подключиться.',
  subscriptionButton: (sub) => `${sub.planName} · ${STATUS[sub.status]}${sub.endsAt === null ? '' : ` · ${dateFormat.format(sub.endsAt)}`}`,
  subscription: (sub: SubscriptionDetails, now: Date) =>
    [
      `<b>${escapeHtml(sub.planName)}</b> (№${sub.id})`,
      `Статус: ${STATUS[sub.status]}`,
      ...(sub.endsAt === null ? [] : [`Осталось: ${russianDays(daysLeft(sub.endsAt, now))} (до ${dateFormat.format(sub.endsAt)})`]),
      `Трафик: ${gb(sub.trafficUsedBytes)} из ${sub.trafficLimitBytes === null ? 'безлимита' : gb(sub.trafficLimitBytes)}`,
      ...(sub.devices === undefined ? [] : [`Устройств: до ${sub.devices}`]),
      ...(sub.server === undefined
        ? []
        : [`Сервер: ${escapeHtml(sub.server.name)}${sub.server.location === null ? '' : ` (${escapeHtml(sub.server.location)})`}`]),
      '',
      ...(sub.vpnKey === undefined && sub.subscriptionUrl === undefined
        ? ['Ключ ещё не готов: он придёт сюда, как только подписка будет настроена.']
        : [
            ...(sub.vpnKey === undefined ? [] : ['Ключ (нажмите, чтобы скопировать):', `<code>${escapeHtml(sub.vpnKey)}</code>`]),
            ...(sub.subscriptionUrl === undefined
              ? []
              : ['Ссылка-подписка для приложений:', `<code>${escapeHtml(sub.subscriptionUrl)}</code>`]),
            '',
            'Как подключиться: выберите устройство ниже.',
          ]),
    ].join('\n'),
  keyMessage: (sub) =>
    [
      `Ваш ключ для «${escapeHtml(sub.planName)}»:`,
      ...(sub.vpnKey === undefined ? [] : [`<code>${escapeHtml(sub.vpnKey)}</code>`]),
      ...(sub.subscriptionUrl === undefined ? [] : ['Ссылка-подписка:', `<code>${escapeHtml(sub.subscriptionUrl)}</code>`]),
    ].join('\n'),
  keyNotReady: 'Ключ ещё не готов. Он придёт сюда, как только подписка будет настроена.',
  qrCaption: (sub) => `QR-код для «${sub.planName}»: отсканируйте его в VPN-приложении.`,
  platforms,
  instructions: (platform: Platform, apps: readonly ConnectApp[], subscriptionUrl: string) =>
    [
      `<b>${platforms[platform]}</b>: установите одно из приложений и нажмите «Добавить в …» ниже (или откройте ссылку импорта в браузере) либо добавьте ссылку-подписку в приложении вручную.`,
      '',
      ...apps.map((app) =>
        app.app === undefined
          ? `• ${app.name}: добавьте ссылку-подписку вручную (Подписки → Добавить).`
          : `• ${app.name}: <code>${escapeHtml(importLink(app.app, subscriptionUrl))}</code>`,
      ),
      '',
      'Ссылка-подписка:',
      `<code>${escapeHtml(subscriptionUrl)}</code>`,
    ].join('\n'),
  renewChooseMethod: (sub) => `Продлить «${sub.planName}» с тем же ключом: выберите способ оплаты.`,
  renewByLink: (planName) => `Чтобы продлить «${planName}», откройте страницу оплаты:`,
  renewInvoiceDescription: (planName) => `Ещё один период подписки VLESS VPN «${planName}», тот же ключ.`,
  renewDone: 'Оплачено! Подписка продлена, ключ остаётся прежним.',
  renewUnavailable: 'Продление отсюда пока недоступно. Купите тариф в меню; текущий ключ работает до даты окончания.',
  balance: (summary: AccountSummary, referralLink: string | undefined) =>
    [
      `Баланс: ${price(summary.balanceKopecks)}`,
      '',
      'Приглашайте друзей и получайте бонус на баланс, когда они оплачивают подписку.',
      ...(referralLink === undefined ? [] : [`Ваша реферальная ссылка: ${referralLink}`]),
      `Приглашено: ${summary.invitedCount} · бонусов получено: ${price(summary.bonusEarnedKopecks)}`,
    ].join('\n'),
  languageTitle: 'Выберите язык:',
  languageSet: 'Язык: русский.',
  helpScreen: [
    'Помощь и поддержка.',
    'Купите подписку и откройте «Мои подписки»: там ваш ключ, ссылка для приложений, QR-код и инструкции для каждого устройства.',
    'Вопросы об оплате или подключении? Напишите в поддержку: оператор ответит здесь.',
    'Команды: /plans, /subscriptions, /trial, /topup СУММА, /promo КОД, /autorenew, /paysupport, /terms.',
  ].join('\n'),
  supportPrompt: 'Напишите вопрос одним сообщением в ответ на это: оно уйдёт в нашу поддержку.',
  supportSent: 'Сообщение отправлено в поддержку. Ответ придёт сюда.',
  supportUnavailable: 'Чат поддержки не настроен. Воспользуйтесь /paysupport.',
  supportReply: (text) => `Ответ поддержки:\n\n${text}`,
  supportTicket: (input) =>
    [
      `✉️ От ${input.name}${input.username === undefined ? '' : ` (@${input.username})`} #tg${input.telegramId}${input.userId === null ? '' : `, пользователь ${input.userId}`}`,
      ...(input.subscriptions.length === 0 ? ['Подписок нет.'] : input.subscriptions.map((line) => `• ${line}`)),
      'Ответьте на это сообщение, чтобы ответить пользователю.',
    ].join('\n'),
  supportTicketSubscription: (sub) =>
    `№${sub.id} ${sub.planName}: ${STATUS[sub.status]}${sub.endsAt === null ? '' : ` до ${dateFormat.format(sub.endsAt)}`}`,
  supportDelivered: 'Доставлено пользователю.',
  supportNotDelivered: 'Не доставлено: пользователь заблокировал бота или ни разу его не запускал.',
};
