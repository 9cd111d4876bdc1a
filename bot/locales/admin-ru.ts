/** Russian texts of the operator console (/admin); the same keys and parameters as admin-en.ts. */
import type { BroadcastAudience } from '../../usecases/broadcasts';
import type { OperatorStats } from '../../usecases/operator-stats';
import { formatRub } from '../../texts/format-rub';
import { minute, promoDiscount, type AdminTexts } from './admin-en';

const rub = (kopecks: bigint | number): string => formatRub(Number(kopecks), { decimalSeparator: ',', groupSeparator: ' ' });
const day = (date: Date | null): string => (date === null ? '—' : date.toISOString().slice(0, 10));
const percent = (load: number): string => `${Math.round(load * 100)}%`;
const METHODS: Record<string, string> = { card: 'карта', sbp: 'СБП', crypto: 'крипта', balance: 'баланс', stars: 'Stars' };
const STATUS: Record<string, string> = {
  pending: 'ожидает',
  active: 'активна',
  expired: 'истекла',
  cancelled: 'отменена',
  completed: 'оплачен',
  failed: 'ошибка',
  refunded: 'возвращён',
};
const status = (value: string): string => STATUS[value] ?? value;

const AUDIENCES: Record<BroadcastAudience, string> = {
  all: 'Все',
  active: 'С активной подпиской',
  expired: 'С истёкшей',
  trial_only: 'Только пробный период',
  never_paid: 'Никогда не платили',
};

/** The stats in Russian (the same numbers as the English `statsText`). */
function statsRu(stats: OperatorStats): string {
  const { users, subscriptions, revenue, conversion } = stats;
  const lines = [
    `Статистика на ${minute(stats.asOf)} UTC (дни по ${stats.timeZone})`,
    '',
    `Пользователи: ${users.total} (новых: ${users.newToday} сегодня, ${users.new7d} за 7 дн., ${users.new30d} за 30 дн.; заблокировали бота: ${users.blocked})`,
    `Активные подписки: ${subscriptions.active} (платные ${subscriptions.paid}, пробные ${subscriptions.trial}); заканчиваются в ближайшие 3 дня: ${subscriptions.expiring3d}`,
    `Пробный → платный: ${conversion.converted} из ${conversion.trialUsers}${conversion.percent === null ? '' : ` (${conversion.percent}%)`}`,
    '',
    `Выручка за ${stats.days} дн. за вычетом возвратов: ${rub(revenue.totalNetKopecks)}${revenue.starsPayments > 0 ? ` + ${revenue.starsNet} ⭐` : ''}`,
    ...revenue.byMethod.map(
      (method) =>
        `  ${METHODS[method.method] ?? method.method}: ${rub(method.netKopecks)} (платежей: ${method.payments}${method.refundsKopecks > 0n ? `, возвраты ${rub(method.refundsKopecks)}` : ''})`,
    ),
    '',
    'По дням (последние 7):',
    ...revenue.byDay
      .slice(-7)
      .reverse()
      .map(
        (entry) => `  ${entry.day}: ${rub(entry.netKopecks)}${entry.refundsKopecks > 0n ? ` (возвраты ${rub(entry.refundsKopecks)})` : ''}`,
      ),
  ];
  if (stats.topPlans.length > 0) {
    lines.push('', 'Популярные тарифы:');
    stats.topPlans.forEach((plan, index) => lines.push(`  ${index + 1}. ${plan.name}: продано ${plan.sales}, ${rub(plan.amountKopecks)}`));
  }
  return lines.join('\n');
}

export const adminRu: AdminTexts = {
  notAllowed: 'Извините, консоль оператора доступна только операторам.',
  unavailable: 'Этот раздел консоли в боте не настроен.',
  menuTitle: 'Консоль оператора',
  buttons: {
    stats: '📊 Статистика',
    findUser: '🔎 Найти пользователя',
    servers: '🖥 Серверы',
    promos: '🏷 Промокоды',
    broadcast: '📣 Рассылка',
    maintenance: '🛠 Техработы',
    backups: '💾 Бэкапы',
    back: '« Консоль',
    refresh: '🔄 Обновить',
    days: (days) => `${days} дней`,
    extend: 'Продлить',
    refund: 'Вернуть деньги',
    move: 'Перенести',
    cancel: 'Отменить',
    balance: 'Изменить баланс',
    resendKey: 'Отправить ключ',
    confirm: '✅ Подтвердить',
    abort: '✖ Отмена',
    anyServer: 'Любой сервер с местами',
    test: 'Проверить',
    disable: 'Закрыть',
    enable: 'Открыть',
    reopen: 'Открыть снова',
    edit: 'Изменить',
    addServer: '➕ Добавить сервер',
    newPromo: '➕ Новый код',
    disablePromo: (code) => `Выключить ${code}`,
    backupNow: 'Сделать бэкап сейчас',
    maintenanceOn: 'Включить техработы',
    maintenanceOff: 'Выключить техработы',
    cancelBroadcast: 'Остановить рассылку',
    openUser: (telegramId) => `Пользователь ${telegramId}`,
    openSubscription: (id) => `Подписка #${id}`,
    audience: AUDIENCES,
  },
  stats: statsRu,
  statsChartCaption: (days) => `Чистая выручка по дням за ${days} дн. (₽)`,
  findPrompt: 'Пришлите Telegram id, @username, номер подписки или кусок ключа либо ссылки /sub.',
  findNothing: (query) => `Никто не найден по «${query}».`,
  findMany: (count) => `Найдено пользователей: ${count}; выберите:`,
  foundUserButton: (user) =>
    `${user.telegramId}${user.username === null ? '' : ` @${user.username}`} (${{ telegram_id: 'id', username: 'ник', subscription_id: 'подписка', key: 'ключ', sub_token: 'ссылка' }[user.matched]})`,
  userCard: (card) =>
    [
      `Пользователь ${card.telegramId}${card.username === null ? '' : ` @${card.username}`} (id ${card.userId})`,
      `Имя: ${card.firstName ?? '—'}, язык: ${card.languageCode ?? '—'}, с ${day(card.createdAt)}`,
      `Баланс: ${rub(card.balanceKopecks)}; автопродление ${card.autoRenew ? 'вкл.' : 'выкл.'}; пробный период ${card.trialUsed ? 'использован' : 'не использован'}`,
      `Рефералы: пригласил ${card.referrals.invited} (оплатили ${card.referrals.paid})${card.referrals.referredByTelegramId === null ? '' : `; пригласил его ${card.referrals.referredByTelegramId}`}`,
      '',
      'Подписки:',
      ...(card.subscriptions.length === 0
        ? ['  нет']
        : card.subscriptions.map((sub) => `  #${sub.id} ${status(sub.status)}, до ${minute(sub.endsAt)}, сервер ${sub.serverId ?? '—'}`)),
      'Платежи:',
      ...(card.payments.length === 0
        ? ['  нет']
        : card.payments.map(
            (payment) =>
              `  #${payment.id} ${payment.currency === 'RUB' ? rub(Math.round(Number(payment.amount) * 100)) : `${payment.amount} ${payment.currency}`} ${METHODS[payment.payment_method] ?? payment.payment_method} ${status(payment.status)}${payment.subscription_id === null ? '' : ` → #${payment.subscription_id}`}, ${day(payment.created_at)}`,
          )),
      'Движения баланса:',
      ...(card.ledger.length === 0
        ? ['  нет']
        : card.ledger.map((entry) => `  ${entry.amount} (${entry.reason}) → ${entry.balance_after}, ${day(entry.created_at)}`)),
      'Последние события:',
      ...(card.audit.length === 0
        ? ['  нет']
        : card.audit.map(
            (entry) =>
              `  ${minute(entry.created_at)} ${entry.action}, ${entry.actor}${entry.actor_id === null ? '' : `:${entry.actor_id}`}`,
          )),
    ].join('\n'),
  noSuchUser: 'Этого пользователя больше нет.',
  extendPrompt: (subscriptionId) => `На сколько дней продлить подписку #${subscriptionId}? Пришлите целое число от 1 до 3650.`,
  badDays: 'Пришлите целое число дней от 1 до 3650.',
  extended: (subscriptionId, endsAt) =>
    `Подписка #${subscriptionId} теперь действует до ${endsAt === null ? '—' : minute(new Date(endsAt))} UTC.`,
  refundPick: 'Какой платёж вернуть? Показаны только оплаченные.',
  refundNothing: 'Нет оплаченных платежей для возврата.',
  refundConfirm: (paymentId, amount) => `Вернуть платёж #${paymentId} (${amount}) тем же способом и отменить его подписку?`,
  refunded: (paymentId, to, amount, currency) =>
    `Платёж #${paymentId} возвращён: ${amount} ${currency} — ${to === 'balance' ? 'на баланс' : to === 'stars' ? 'в Telegram Stars' : 'на карту/СБП'}.`,
  refundPending: (paymentId, amount, currency) =>
    `Возврат платежа #${paymentId} (${amount} ${currency}) обрабатывается платёжным сервисом. Пока ничего не изменено: нажмите «Возврат» ещё раз позже, чтобы проверить; когда деньги уйдут, платёж будет отмечен возвращённым, а пользователь получит сообщение.`,
  refundRefused: (reason, message) =>
    `Возврат отклонён: ${
      {
        'not-found': 'платёж не найден',
        'not-completed': 'платёж не оплачен',
        'no-charge': 'нет записи о списании Stars',
        'provider-refused': 'платёжный сервис отказал',
        'provider-unavailable': 'платёжный сервис не ответил, попробуйте позже',
        'balance-refund-failed': 'подписка отклонила возврат',
        'top-up-not-refundable': 'это пополнение баланса нельзя вернуть плательщику',
      }[reason] ?? reason
    }${message === undefined ? '' : ` (${message})`}.`,
  movePick: (subscriptionId) => `На какой сервер перенести подписку #${subscriptionId}?`,
  moved: (subscriptionId, serverId) => `Подписка #${subscriptionId} перенесена на сервер ${serverId ?? '—'}.`,
  cancelConfirm: (subscriptionId) => `Отменить подписку #${subscriptionId} сейчас? Ключ перестанет работать.`,
  cancelled: (subscriptionId, phase) => `Подписка #${subscriptionId} отменена (${phase}).`,
  balancePrompt: (telegramId) =>
    `Изменение баланса ${telegramId}: пришлите сумму в рублях со знаком и причину, например «+150 компенсация за простой» или «-49,50 двойное пополнение».`,
  badBalance: 'Пришлите сумму в рублях со знаком (до 2 знаков после запятой, не ноль) и причину, например «+150 компенсация».',
  balanceAdjusted: (balanceKopecks) => `Готово. Баланс теперь ${rub(balanceKopecks)}.`,
  balanceInsufficient: 'Отклонено: баланс не может стать отрицательным.',
  keyResent: (subscriptionId) => `Ключ подписки #${subscriptionId} отправлен пользователю ещё раз.`,
  noKey: (subscriptionId) => `У подписки #${subscriptionId} нет активного ключа.`,
  resentKeyMessage: (key, url) => `Ваш VPN-ключ, повторно от поддержки:\n\n${key}${url === undefined ? '' : `\n\nСсылка подписки: ${url}`}`,
  noWorkflow: 'У этой подписки нет работающего процесса (не запускался или уже завершён).',
  timeout: 'Подписка не ответила вовремя; изменение ещё может примениться. Проверьте через минуту.',
  rejected: (message) => `Отклонено: ${message}`,
  refusal: {
    'bad-days': 'Отклонено: число дней должно быть целым от 1 до 3650.',
    'payment-not-applied': 'Отклонено: этот платёж не относится к этой подписке.',
    'payment-not-rub': 'Отклонено: на баланс возвращается только платёж в рублях.',
    'payment-not-completed': 'Отклонено: вернуть можно только оплаченный платёж (он уже возвращён или не был оплачен).',
    'subscription-ended': 'Отклонено: подписка уже закончилась.',
    'not-active': 'Отклонено: перенести можно только активную подписку с ключом.',
    'same-server': 'Отклонено: подписка уже на этом сервере.',
    'no-subscription': 'Отклонено: такой подписки нет.',
    'no-such-server': 'Отклонено: сервера с таким номером нет.',
    'server-unavailable': 'Отклонено: этот сервер сейчас не может принять подписку (закрыт, недоступен или заполнен).',
    'no-other-server':
      'Отклонено: нет другого сервера, который может её принять (открытого, рабочего и со свободными местами). Сначала добавьте или откройте сервер.',
  },
  servers: (servers) =>
    servers.length === 0
      ? 'Серверов пока нет.'
      : [
          'Серверы:',
          ...servers.map(
            (server) =>
              `#${server.id} ${server.name}${server.location === null ? '' : ` (${server.location})`}: ${server.open ? 'открыт' : `закрыт${server.closedReason === null ? '' : ` (${server.closedReason === 'failover' ? 'авария' : 'оператором'})`}`}, ${server.status}, ${server.users}/${server.maxUsers} (${percent(server.load)})` +
              `${server.lastError === null ? '' : `, последняя ошибка: ${server.lastError}`}`,
          ),
        ].join('\n'),
  server: (server, trafficBytes) =>
    [
      `Сервер #${server.id} ${server.name}`,
      `Локация: ${server.location ?? '—'}; адрес ${server.endpoint}; inbound ${server.inboundId ?? '—'}; панель ${server.panelUrl ?? '—'} (${server.apiVersion ?? 'версия не определена'})`,
      `Состояние: ${server.open ? 'открыт' : 'закрыт'}, здоровье ${server.status}${server.downSince === null ? '' : ` с ${minute(server.downSince)}`}`,
      `Загрузка: ${server.users}/${server.maxUsers} (${percent(server.load)})${trafficBytes === undefined ? '' : `; трафик за период ${(trafficBytes / 1024 ** 3).toFixed(1)} ГБ`}`,
      `Последний ответ: ${minute(server.lastSeenAt)}; последняя ошибка: ${server.lastError ?? '—'}`,
    ].join('\n'),
  serverTest: (test) =>
    test.ok
      ? `Панель отвечает (${test.apiVersion}, ${test.latencyMs} мс). Inbounds:\n${test.inbounds.map((inbound) => `  ${inbound.id} ${inbound.protocol} :${inbound.port} ${inbound.network}/${inbound.security} «${inbound.remark}» клиентов: ${inbound.clients}`).join('\n')}`
      : `Проверка панели не прошла: ${test.message}`,
  serverChanged: (name, open) => `Сервер ${name} теперь ${open ? 'открыт' : 'закрыт'} для новых подписок.`,
  serverReopenRefused: (reason) => `Не открыт снова: ${reason}.`,
  serverError: (message) => `Отклонено: ${message}`,
  serverAddPrompt:
    'Пришлите новый сервер одним сообщением, поля через пробел:\nимя panel_url web_base_path логин пароль inbound_id [адрес host:port] [макс_пользователей]\nПустой web base path — знак -. Сообщение будет удалено после чтения.',
  serverAdded: (id, name) => `Сервер #${id} ${name} добавлен и проверен.`,
  serverEditPrompt: (id) =>
    `Изменение сервера #${id}: пришлите пары ключ=значение, например «max_users=800 location=Амстердам name=NL-2 endpoint=nl2.example.com:443».`,
  badServerInput: (detail) => `Не удалось разобрать: ${detail}`,
  promos: (promos) =>
    promos.length === 0
      ? 'Промокодов пока нет.'
      : [
          'Промокоды:',
          ...promos.map(
            (promo) =>
              `${promo.code}: скидка ${promoDiscount(promo, rub)}, использован ${promo.redeemed_count}${promo.max_redemptions === null ? '' : `/${promo.max_redemptions}`}` +
              `${promo.reserved > 0 ? ` (+${promo.reserved} в резерве)` : ''}, ${promo.expires_at === null ? 'бессрочный' : `до ${day(promo.expires_at)}`}${promo.is_active ? '' : ', выключен'}`,
          ),
        ].join('\n'),
  promoPrompt:
    'Пришлите новый код: КОД СКИДКА [ЛИМИТ] [СРОК], например «SPRING25 25% 100 2026-12-31» или «MINUS100 100₽». СКИДКА — процент (1–100%) или рубли (₽).',
  badPromo:
    'Не удалось разобрать. Пример: «SPRING25 25% 100 2026-12-31»: код из 3–32 латинских букв, цифр, _ или -; 1–100% или сумма в ₽; необязательный целый лимит; необязательная будущая дата ГГГГ-ММ-ДД.',
  promoExists: (code) => `Код ${code} уже существует.`,
  promoCreated: (promo) => `Код ${promo.code} создан: скидка ${promoDiscount(promo, rub)}.`,
  promoDisabled: (code) => `Код ${code} выключен.`,
  broadcastPickAudience: 'Рассылка: кому отправить?',
  broadcastPrompt: (audience) => `Пришлите текст для «${AUDIENCES[audience]}» (обычный текст, до 4096 символов).`,
  broadcastPreview: (audience, recipients, text) =>
    `Предпросмотр: получателей ${recipients} (${AUDIENCES[audience]}).\n———\n${text}\n———\nОтправить?`,
  broadcastRefused: {
    empty_text: 'Текст пустой.',
    text_too_long: 'Текст длиннее 4096 символов.',
    no_recipients: 'В этой аудитории никого нет.',
    busy: 'Ещё идёт другая рассылка; остановите её или дождитесь конца.',
    unknown_audience: 'Неизвестная аудитория.',
  },
  broadcastStarted: (id, recipients) => `Рассылка #${id} запущена, получателей: ${recipients}. Отчёт придёт по окончании.`,
  broadcastNothingPending: 'Нечего отправлять: начните заново из консоли.',
  broadcastProgress: (progress) =>
    `Рассылка #${progress.broadcastId}: ${{ running: 'идёт', completed: 'завершена', cancelled: 'остановлена' }[progress.status]}. Отправлено ${progress.sent} из ${progress.total}; в очереди ${progress.pending}, заблокировали ${progress.blocked}, ошибки ${progress.failed}, неизвестно ${progress.unknown}.`,
  broadcastCancelled: (id) => `Рассылка #${id} остановлена; больше ничего не отправится.`,
  broadcastAborted: 'Рассылка отменена.',
  maintenance: (state) =>
    [
      `Техработы: ${state.manual.on ? 'ВКЛЮЧЕНЫ' : 'выключены'}${state.manual.on && state.manual.note !== null ? ` («${state.manual.note}»)` : ''}`,
      `Серверов работает: ${state.servers.up} из ${state.servers.active} открытых`,
      `Продажи сейчас: ${state.selling.selling ? 'идут' : `остановлены (${{ maintenance: 'техработы', all_panels_down: 'все панели недоступны', no_servers: 'нет открытых серверов' }[state.selling.reason]})`}`,
      ...(state.manual.changedAt === null
        ? []
        : [`Последнее изменение: ${minute(state.manual.changedAt)}, ${state.manual.changedBy ?? '—'}`]),
    ].join('\n'),
  backups: (files) =>
    files.length === 0
      ? 'В папке пока нет бэкапов.'
      : [
          'Последние бэкапы:',
          ...files.slice(0, 10).map((file) => `  ${file.name} ${(file.bytes / 1024 / 1024).toFixed(1)} МБ, ${minute(file.modifiedAt)}`),
        ].join('\n'),
  backupStarted: 'Бэкап запущен; отчёт придёт в чат оповещений.',
  backupsOff: 'Бэкапы не настроены (BACKUP_DIR).',
  sellingPaused: 'Продажи приостановлены на техработы. Деньги не списаны — попробуйте, пожалуйста, чуть позже.',
  sellingPausedWithNote: (note) => `Продажи приостановлены на техработы: ${note}. Попробуйте, пожалуйста, чуть позже.`,
};
