import type { BotPlan, BotPromo, BotSubscription } from '../bot-services';
import { INVARIANT_LINES, type BotTexts } from './en';
import { formatRub } from '../../texts/format-rub';
import { operatorDate } from './operator-date';
import { menuRu } from './menu-ru';
import { russianDays, russianPlural } from '../../lib/i18n/russian-plural';

const price = (kopecks: number): string => formatRub(kopecks, { decimalSeparator: ',', groupSeparator: ' ' });
const dateFormat = new Intl.DateTimeFormat('ru-RU', { dateStyle: 'long', timeZone: 'Europe/Moscow' });

const plural = russianPlural;
/** What a promo code takes off: a percentage, or a fixed amount. */
const promoOff = (promo: BotPromo): string => (promo.percentOff !== null ? `${promo.percentOff}%` : price(promo.amountOffKopecks ?? 0));
const days = russianDays;

function featureLines(plan: BotPlan): string[] {
  const { devices, trafficLimitGb, discountPercent } = plan.features;
  return [
    ...(devices === undefined ? [] : [`до ${devices} ${plural(devices, ['устройства', 'устройств', 'устройств'])}`]),
    ...(trafficLimitGb === undefined ? [] : [trafficLimitGb === null ? 'безлимитный трафик' : `${trafficLimitGb} ГБ трафика в месяц`]),
    ...(discountPercent === undefined ? [] : [`скидка ${discountPercent}% к помесячной цене`]),
  ];
}

const STATUS: Record<BotSubscription['status'], string> = {
  pending: 'ждёт оплаты',
  active: 'активна',
  expired: 'истекла',
  cancelled: 'отменена',
};

/** Russian texts (default for ru, uk, be and kk). Prices look like `1 049,50 ₽`; dates in Moscow time. */
export const ru: BotTexts = {
  price,
  welcome: ({ firstName, isNew }) =>
    isNew
      ? `Привет, ${firstName}! Здесь можно купить быстрый VLESS VPN. Выберите тариф — ключ придёт через минуту.`
      : `С возвращением, ${firstName}! Выберите тариф, чтобы купить или продлить подписку.`,
  showPlansButton: 'Тарифы и цены',
  help: [
    'Что я умею:',
    '/plans — тарифы и цены, покупка и продление',
    '/subscriptions — ваши подписки и ключи',
    '/trial — бесплатный пробный период (один раз)',
    '/autorenew — автопродление с баланса',
    '/promo КОД — промокод на следующую покупку',
    '/paysupport — помощь с оплатой и возвратами',
    '/terms — условия использования',
  ].join('\n'),
  plansHeader: 'Выберите тариф:',
  planLine: (plan) => `• ${plan.name} — ${price(plan.priceKopecks)} (${days(plan.durationDays)})`,
  planButton: (plan) => `${plan.name} — ${price(plan.priceKopecks)}`,
  noPlans: 'Сейчас тарифов в продаже нет. Загляните чуть позже.',
  planDetails: (plan, promo) =>
    [
      `${plan.name}: ${days(plan.durationDays)} за ${price(plan.priceKopecks)}`,
      ...(promo === undefined ? [] : [`С промокодом ${promo.code}: ${price(promo.priceKopecks)} вместо ${price(plan.priceKopecks)}`]),
      ...featureLines(plan).map((line) => `• ${line}`),
      '',
      'Выберите способ оплаты:',
    ].join('\n'),
  paymentMethods: {
    stars: 'Telegram Stars ⭐',
    sbp: 'СБП (Система быстрых платежей)',
    card: 'Банковская карта',
    crypto: 'Криптовалюта',
    balance: 'С баланса',
  },
  backToPlans: '« К тарифам',
  payByLink: (plan) => `Чтобы оплатить «${plan.name}» (${price(plan.priceKopecks)}), откройте страницу оплаты:`,
  payButton: 'Оплатить',
  purchaseDone: 'Оплачено! Ключ придёт сюда через минуту.',
  purchaseRejected: {
    'plan-unavailable': 'Этот тариф больше не продаётся. Отправьте /plans, чтобы увидеть актуальные.',
    'method-unavailable': 'Этот способ оплаты сейчас недоступен. Выберите другой.',
    'insufficient-balance': 'На балансе недостаточно средств. Выберите другой способ оплаты.',
    'promo-invalid':
      'Промокод больше не действует (истёк, закончился или уже использован вами). Выберите тариф снова, чтобы оплатить полную цену.',
    'not-renewable': 'Эту подписку уже нельзя продлить: она отменена или закончилась слишком давно, и её ключ удалён. Купите новую: /plans',
    'amount-invalid': 'Такую сумму внести нельзя. Выберите одну из сумм или отправьте /topup с суммой в целых рублях, например /topup 500.',
  },
  starsInvoiceTitle: (plan) => `VPN: ${plan.name}`,
  starsInvoiceDescription: (plan) => `Подписка на VLESS VPN на ${days(plan.durationDays)}.`,
  starsInvoiceLabel: (plan) => plan.name,
  checkoutRejected: {
    'unknown-order': 'Заказ не найден. Начните покупку заново: /plans.',
    'amount-mismatch': 'Цена изменилась. Начните покупку заново: /plans.',
    'already-paid': 'Этот заказ уже оплачен.',
  },
  paymentReceived: 'Оплата получена, спасибо! Подтверждение (ключ, подарок или пополнение баланса) придёт сюда через минуту.',
  subscriptionsHeader: 'Ваши подписки:',
  subscriptionLine: (sub) =>
    [
      `• ${sub.planName}: ${STATUS[sub.status]}${sub.endsAt === null ? '' : `, до ${dateFormat.format(sub.endsAt)}`}`,
      ...(sub.subscriptionUrl === undefined ? [] : [`  ${sub.subscriptionUrl}`]),
    ].join('\n'),
  noSubscriptions: 'Подписок пока нет. Отправьте /plans, чтобы купить.',
  promoUsage: 'Отправьте код после команды, например: /promo SPRING20.',
  promoApplied: (promo) =>
    `Промокод ${promo.code} применён: скидка ${promoOff(promo)}, пока заказ не оплачен. Отправьте /plans, чтобы выбрать тариф.`,
  promoActive: (promo) => `🏷 Промокод ${promo.code}: скидка ${promoOff(promo)}.`,
  giftButton: '🎁 Купить в подарок',
  giftChooseMethod: (plan, promo) =>
    [
      `Подарок: «${plan.name}», ${days(plan.durationDays)} за ${price(promo?.priceKopecks ?? plan.priceKopecks)}${promo === undefined ? '' : ` с промокодом ${promo.code} (вместо ${price(plan.priceKopecks)})`}.`,
      'После оплаты вы получите ссылку; подписку получит первый, кто её откроет.',
      '',
      'Выберите способ оплаты:',
    ].join('\n'),
  giftPaid: 'Оплачено! Ссылка на подарок — в разделе 🎁 Мои подарки (/gifts): отправьте её тому, кому дарите.',
  giftsButton: '🎁 Мои подарки',
  giftsTitle: 'Ваши подарки. Отправьте ссылку тому, кому дарите; подписку получит первый, кто её откроет.',
  noGifts: 'Вы ещё не покупали подарков. Выберите тариф и нажмите «Купить в подарок».',
  giftLine: (gift) =>
    gift.status === 'ready'
      ? `🎁 ${gift.planName}: можно дарить\n${gift.link}`
      : gift.status === 'redeemed'
        ? `✅ ${gift.planName}: получен (код ${gift.code})`
        : `⏳ ${gift.planName}: ждёт оплаты`,
  giftRedeemed: '🎁 Подарок ваш! Подписка настраивается; ключ придёт сюда через минуту.',
  giftRefused: {
    unknown: 'Эта ссылка на подарок недействительна. Уточните её у того, кто её прислал.',
    'not-paid': 'Этот подарок ещё не оплачен. Откройте ссылку чуть позже.',
    'already-redeemed': 'Этот подарок уже получил кто-то другой. Каждая ссылка на подарок работает один раз.',
    unavailable: 'Подарки сейчас недоступны. Попробуйте позже.',
  },
  promoRejected: 'Этот промокод не действует: он неизвестен, истёк, закончился или уже использован вами.',
  staleButton: 'Эта кнопка устарела. Отправьте /start, чтобы начать заново.',
  needStart: 'Сначала отправьте /start.',
  paySupport: (contact) =>
    [
      'Помощь с оплатой.',
      contact === undefined
        ? 'Напишите вопрос в этот чат, укажите дату и сумму платежа — ответим в течение 24 часов.'
        : `Напишите ${contact}, укажите дату и сумму платежа — ответим в течение 24 часов.`,
      'Оплата в Telegram Stars возвращается в Stars на тот же аккаунт. Поддержка Telegram не помогает с покупками в этом боте.',
    ].join('\n'),
  terms: [
    'Условия использования.',
    '1. Вы покупаете доступ к VPN на срок выбранного тарифа; он начинается после подтверждения оплаты.',
    '2. Ключ личный: мы можем отключить ключ, опубликованный в открытом доступе или используемый для злоупотреблений.',
    '3. Если сервис у вас не работает, напишите в /paysupport в течение 7 дней после оплаты, чтобы вернуть деньги.',
    '4. Оплата в Telegram Stars регулируется Условиями использования Telegram для Stars.',
  ].join('\n'),
  trialButton: (count) => `Попробовать бесплатно ${days(count)}`,
  trialStarted: (count) => `Пробный период на ${days(count)} включён! Ключ придёт сюда через минуту.`,
  trialRefused: {
    'already-used': 'Вы уже использовали пробный период. Отправьте /plans, чтобы купить подписку.',
    'has-subscription': 'У вас уже есть активная подписка. Отправьте /subscriptions, чтобы её увидеть.',
    unavailable: 'Пробный период сейчас недоступен.',
  },
  autoRenewStatus: (enabled) =>
    enabled
      ? 'Автопродление включено: подписка продлевается с баланса за день до окончания, если на балансе хватает средств.'
      : 'Автопродление выключено: продлевайте подписку сами через /plans.',
  autoRenewOnButton: 'Включить',
  autoRenewOffButton: 'Выключить',
  operator: {
    notAllowed: 'Извините, эта команда только для операторов.',
    unavailable: 'Команды операторов в этом боте не настроены.',
    usage: {
      sub: 'Использование: /sub <id подписки>',
      extend: 'Использование: /extend <id подписки> <дней>',
      refund: 'Использование: /refund <id подписки> <id платежа>',
      move: 'Использование: /move <id подписки> [id сервера]',
      cancel: 'Использование: /cancel <id подписки>',
      user: 'Использование: /user <telegram id>',
      invariants: 'Использование: /invariants',
    },
    noSubscription: (id) => `Подписки ${id} нет.`,
    noUser: (telegramId) => `Пользователя с Telegram id ${telegramId} нет.`,
    noWorkflow: 'Нет такого workflow подписки (не запускался или уже завершён).',
    timeout: 'Workflow не ответил вовремя; изменение ещё может примениться. Проверьте через /sub, прежде чем повторять.',
    rejected: (message) => `Отклонено: ${message}`,
    subscription: (view) =>
      [
        `Подписка ${view.id} (пользователь ${view.userId})`,
        `Статус: ${view.status}; workflow: ${view.phase ?? 'нет'}`,
        `Окончание: ${view.endsAt === null ? '—' : operatorDate(view.endsAt)}`,
        `Сервер: ${view.server === null ? '—' : `${view.server.name} (#${view.server.id})`}`,
        `Тариф: ${view.plan === null ? '—' : `${view.plan.name} (#${view.plan.id})`}`,
      ].join('\n'),
    user: (view) =>
      [
        `Пользователь ${view.userId} (Telegram ${view.telegramId}${view.username === null ? '' : `, @${view.username}`})`,
        `Баланс: ${price(view.balanceKopecks)}; автопродление: ${view.autoRenew ? 'вкл' : 'выкл'}; пробный период: ${view.trialUsed ? 'использован' : 'нет'}`,
        ...(view.subscriptions.length === 0
          ? ['Подписок нет.']
          : view.subscriptions.map(
              (sub) => `• #${sub.id} ${sub.status}, ${sub.planName ?? '—'}, до ${sub.endsAt === null ? '—' : operatorDate(sub.endsAt)}`,
            )),
      ].join('\n'),
    extended: (id, endsAt) => `Подписка ${id} теперь действует до ${endsAt === null ? '—' : operatorDate(new Date(endsAt))}.`,
    refunded: (id, amountKopecks) => `Возвращено на баланс ${price(Number(amountKopecks))}; подписка ${id} завершена.`,
    moved: (id, serverId) => `Подписка ${id} на сервере ${serverId === null ? '—' : `#${serverId}`}.`,
    cancelled: (id, phase) => `Подписка ${id}: ${phase}.`,
    invariants: (report) =>
      report.ok
        ? `Все инварианты соблюдены (проверено платежей: ${report.checked.payments}, активных подписок: ${report.checked.activeSubscriptions}, панелей: ${report.checked.panels}, пользователей: ${report.checked.users}).`
        : [
            `Нарушений инвариантов: ${report.violations.length + report.omitted}:`,
            ...report.violations.slice(0, INVARIANT_LINES).map((violation) => `• ${violation.kind}: ${violation.summary}`),
            ...(report.violations.length + report.omitted > INVARIANT_LINES
              ? [`… и ещё ${report.violations.length + report.omitted - INVARIANT_LINES}.`]
              : []),
          ].join('\n'),
  },
  menu: menuRu,
  genericError: 'Что-то пошло не так. Попробуйте ещё раз через минуту.',
  commands: {
    start: 'Начать',
    plans: 'Тарифы и цены',
    subscriptions: 'Мои подписки',
    gifts: 'Мои подарки',
    trial: 'Пробный период',
    autorenew: 'Автопродление',
    help: 'Помощь',
    paysupport: 'Помощь с оплатой',
    terms: 'Условия использования',
  },
};
