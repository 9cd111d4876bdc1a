import type {
  BotPlan,
  BotSubscription,
  PaymentMethod,
  BotGift,
  BotPromo,
  GiftRedemption,
  PurchaseRejection,
  StarsCheckoutRejection,
  TrialRefusal,
} from '../bot-services';
import type { InvariantReport } from './invariant-report';
import type { OperatorSubscriptionView, OperatorUserView } from '../../usecases/operator-types';
import { formatRub } from '../../texts/format-rub';
import { operatorDate } from './operator-date';
import { menuEn } from './menu-en';

/** Violations an /invariants reply lists (a Telegram message holds 4096 characters). */
export const INVARIANT_LINES = 25;

const price = (kopecks: number): string => formatRub(kopecks, { decimalSeparator: '.', groupSeparator: ',' });
const days = (count: number): string => `${count} ${count === 1 ? 'day' : 'days'}`;
/** What a promo code takes off: a percentage, or a fixed amount. */
const promoOff = (promo: BotPromo): string => (promo.percentOff !== null ? `${promo.percentOff}%` : price(promo.amountOffKopecks ?? 0));
const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'Europe/Moscow' });

function featureLines(plan: BotPlan): string[] {
  const { devices, trafficLimitGb, discountPercent } = plan.features;
  return [
    ...(devices === undefined ? [] : [`up to ${devices} ${devices === 1 ? 'device' : 'devices'}`]),
    ...(trafficLimitGb === undefined ? [] : [trafficLimitGb === null ? 'unlimited traffic' : `${trafficLimitGb} GB of traffic a month`]),
    ...(discountPercent === undefined ? [] : [`${discountPercent}% off the monthly price`]),
  ];
}

const STATUS: Record<BotSubscription['status'], string> = {
  pending: 'waiting for payment',
  active: 'active',
  expired: 'expired',
  cancelled: 'cancelled',
};

/**
 * English texts. Its shape is {@link BotTexts}, which every locale must satisfy. Prices are
 * kopecks formatted as `1,049.50 ₽`; dates are shown in Moscow time. Texts are plain (no
 * parse_mode), so user names need no escaping.
 */
export const en = {
  price,
  welcome: ({ firstName, isNew }: { firstName: string; isNew: boolean }): string =>
    isNew
      ? `Hi, ${firstName}! This bot sells fast VLESS VPN subscriptions. Pick a plan and get your key in a minute.`
      : `Welcome back, ${firstName}! Pick a plan to buy or renew a subscription.`,
  showPlansButton: 'Plans and prices',
  help: [
    'What I can do:',
    '/plans — plans and prices, buy or renew a subscription',
    '/subscriptions — your subscriptions and keys',
    '/trial — free trial (once per user)',
    '/autorenew — renew from your balance automatically',
    '/promo CODE — a promo code for your next purchase',
    '/paysupport — help with payments and refunds',
    '/terms — terms of service',
  ].join('\n'),
  plansHeader: 'Choose a plan:',
  planLine: (plan: BotPlan): string => `• ${plan.name} — ${price(plan.priceKopecks)} (${days(plan.durationDays)})`,
  planButton: (plan: BotPlan): string => `${plan.name} — ${price(plan.priceKopecks)}`,
  noPlans: 'No plans are on sale right now. Please try again later.',
  /** `promo`: the remembered /promo code and the plan's price with it. */
  planDetails: (plan: BotPlan, promo?: { code: string; priceKopecks: number }): string =>
    [
      `${plan.name}: ${days(plan.durationDays)} for ${price(plan.priceKopecks)}`,
      ...(promo === undefined
        ? []
        : [`With promo code ${promo.code}: ${price(promo.priceKopecks)} instead of ${price(plan.priceKopecks)}`]),
      ...featureLines(plan).map((line) => `• ${line}`),
      '',
      'Choose how to pay:',
    ].join('\n'),
  paymentMethods: {
    stars: 'Telegram Stars ⭐',
    sbp: 'SBP (Faster Payments System)',
    card: 'Bank card',
    crypto: 'Cryptocurrency',
    balance: 'From my balance',
  } satisfies Record<PaymentMethod, string>,
  backToPlans: '« Back to plans',
  payByLink: (plan: BotPlan): string => `To pay ${price(plan.priceKopecks)} for «${plan.name}», open the payment page:`,
  payButton: 'Pay',
  purchaseDone: 'Paid! Your key will arrive here in a minute.',
  purchaseRejected: {
    'plan-unavailable': 'This plan is no longer on sale. Send /plans to see the current ones.',
    'method-unavailable': 'This payment method is not available right now. Please choose another one.',
    'insufficient-balance': 'Your balance is too low for this plan. Please choose another payment method.',
    'promo-invalid':
      'Your promo code no longer works (expired, used up, or already used by you). Choose the plan again to pay the full price.',
    'not-renewable':
      'This subscription can no longer be renewed: it was cancelled, or it ended too long ago and its key was deleted. Buy a new one: /plans',
    'amount-invalid': 'This amount cannot be paid in. Choose one of the amounts or send /topup with whole roubles, e.g. /topup 500.',
  } satisfies Record<PurchaseRejection, string>,
  starsInvoiceTitle: (plan: BotPlan): string => `VPN: ${plan.name}`,
  starsInvoiceDescription: (plan: BotPlan): string => `VLESS VPN subscription for ${days(plan.durationDays)}.`,
  starsInvoiceLabel: (plan: BotPlan): string => plan.name,
  checkoutRejected: {
    'unknown-order': 'This order was not found. Please start the purchase again with /plans.',
    'amount-mismatch': 'The price has changed. Please start the purchase again with /plans.',
    'already-paid': 'This order is already paid.',
  } satisfies Record<StarsCheckoutRejection, string>,
  // Said for every Stars order (a plan, a gift, a top-up): the worker's message says what it bought.
  paymentReceived: 'Payment received, thank you! The confirmation (your key, gift or balance) will come here in a minute.',
  subscriptionsHeader: 'Your subscriptions:',
  subscriptionLine: (sub: BotSubscription): string =>
    [
      `• ${sub.planName}: ${STATUS[sub.status]}${sub.endsAt === null ? '' : `, until ${dateFormat.format(sub.endsAt)}`}`,
      ...(sub.subscriptionUrl === undefined ? [] : [`  ${sub.subscriptionUrl}`]),
    ].join('\n'),
  noSubscriptions: 'You have no subscriptions yet. Send /plans to buy one.',
  promoUsage: 'Send the code after the command, e.g. /promo SPRING20.',
  promoApplied: (promo: BotPromo): string =>
    `Promo code ${promo.code} applied: ${promoOff(promo)} off until you pay for an order. Send /plans to choose a plan.`,
  /** The pending promo, shown on the plan list and the payment screens until an order with it is paid. */
  promoActive: (promo: BotPromo): string => `🏷 Promo code ${promo.code}: ${promoOff(promo)} off.`,
  giftButton: '🎁 Buy as a gift',
  giftChooseMethod: (plan: BotPlan, promo?: { code: string; priceKopecks: number }): string =>
    [
      `A gift: «${plan.name}», ${days(plan.durationDays)} for ${price(promo?.priceKopecks ?? plan.priceKopecks)}${promo === undefined ? '' : ` with promo code ${promo.code} (instead of ${price(plan.priceKopecks)})`}.`,
      'Once it is paid you get a link to send; the first person to open it gets the subscription.',
      '',
      'Choose how to pay:',
    ].join('\n'),
  giftPaid: 'Paid! Your gift link is in 🎁 My gifts (/gifts): send it to the person you are giving it to.',
  giftsButton: '🎁 My gifts',
  giftsTitle: 'Your gifts. Send a link to the person you are giving it to; the first one to open it gets the subscription.',
  noGifts: 'You have not bought any gifts yet. Choose a plan and press «Buy as a gift».',
  giftLine: (gift: BotGift): string =>
    gift.status === 'ready'
      ? `🎁 ${gift.planName}: ready to give\n${gift.link}`
      : gift.status === 'redeemed'
        ? `✅ ${gift.planName}: received (code ${gift.code})`
        : `⏳ ${gift.planName}: waiting for payment`,
  giftRedeemed: '🎁 The gift is yours! Your subscription is being set up; the key will arrive here in a minute.',
  giftRefused: {
    unknown: 'This gift link is not valid. Please check it with the person who sent it.',
    'not-paid': 'This gift is not paid yet. Please open the link again a little later.',
    'already-redeemed': 'This gift has already been received by someone else. Every gift link works once.',
    unavailable: 'Gifts are not available right now. Please try again later.',
  } satisfies Record<Extract<GiftRedemption, { kind: 'refused' }>['reason'], string>,
  promoRejected: 'This promo code does not work: it is unknown, expired, used up, or you have already used it.',
  staleButton: 'This button is out of date. Send /start to begin again.',
  needStart: 'Please send /start first.',
  paySupport: (contact: string | undefined): string =>
    [
      'Payment support.',
      contact === undefined
        ? 'Write your question in this chat and mention the date and amount of the payment; we answer within 24 hours.'
        : `Write to ${contact} and mention the date and amount of the payment; we answer within 24 hours.`,
      'Payments in Telegram Stars are refunded in Stars to the same account. Telegram support cannot help with purchases made in this bot.',
    ].join('\n'),
  terms: [
    'Terms of service.',
    '1. You buy access to a VPN service for the period of the chosen plan; it starts when the payment is confirmed.',
    '2. Keys are personal; we may disable a key that is shared publicly or used for abuse.',
    '3. If the service does not work for you, ask /paysupport within 7 days of payment for a refund.',
    '4. Payments in Telegram Stars follow the Telegram Terms of Service for Stars.',
  ].join('\n'),
  trialButton: (count: number): string => `Free trial for ${days(count)}`,
  trialStarted: (count: number): string => `Your free trial for ${days(count)} is on! Your key will arrive here in a minute.`,
  trialRefused: {
    'already-used': 'You have already used your free trial. Send /plans to buy a subscription.',
    'has-subscription': 'You already have an active subscription. Send /subscriptions to see it.',
    unavailable: 'The free trial is not available right now.',
  } satisfies Record<TrialRefusal, string>,
  autoRenewStatus: (enabled: boolean): string =>
    enabled
      ? 'Auto-renewal is ON: a subscription is renewed from your balance a day before it ends, if the balance covers it.'
      : 'Auto-renewal is OFF: renew subscriptions yourself with /plans.',
  autoRenewOnButton: 'Turn on',
  autoRenewOffButton: 'Turn off',
  operator: {
    notAllowed: 'Sorry, this command is only for operators.',
    unavailable: 'Operator commands are not configured in this bot.',
    usage: {
      sub: 'Usage: /sub <subscriptionId>',
      extend: 'Usage: /extend <subscriptionId> <days>',
      refund: 'Usage: /refund <subscriptionId> <paymentId>',
      move: 'Usage: /move <subscriptionId> [serverId]',
      cancel: 'Usage: /cancel <subscriptionId>',
      user: 'Usage: /user <telegramId>',
      invariants: 'Usage: /invariants',
    },
    noSubscription: (id: number): string => `Subscription ${id} does not exist.`,
    noUser: (telegramId: number): string => `No user with Telegram id ${telegramId}.`,
    noWorkflow: 'No such subscription workflow (never started, or already ended).',
    timeout: 'The workflow did not answer in time; the change may still apply. Check with /sub before repeating it.',
    rejected: (message: string): string => `Refused: ${message}`,
    subscription: (view: OperatorSubscriptionView): string =>
      [
        `Subscription ${view.id} (user ${view.userId})`,
        `Status: ${view.status}; workflow: ${view.phase ?? 'none'}`,
        `Ends: ${view.endsAt === null ? '—' : operatorDate(view.endsAt)}`,
        `Server: ${view.server === null ? '—' : `${view.server.name} (#${view.server.id})`}`,
        `Plan: ${view.plan === null ? '—' : `${view.plan.name} (#${view.plan.id})`}`,
      ].join('\n'),
    user: (view: OperatorUserView): string =>
      [
        `User ${view.userId} (Telegram ${view.telegramId}${view.username === null ? '' : `, @${view.username}`})`,
        `Balance: ${price(view.balanceKopecks)}; auto-renewal: ${view.autoRenew ? 'on' : 'off'}; trial: ${view.trialUsed ? 'used' : 'not used'}`,
        ...(view.subscriptions.length === 0
          ? ['No subscriptions.']
          : view.subscriptions.map(
              (sub) => `• #${sub.id} ${sub.status}, ${sub.planName ?? '—'}, ends ${sub.endsAt === null ? '—' : operatorDate(sub.endsAt)}`,
            )),
      ].join('\n'),
    extended: (id: number, endsAt: string | null): string =>
      `Subscription ${id} now ends ${endsAt === null ? '—' : operatorDate(new Date(endsAt))}.`,
    refunded: (id: number, amountKopecks: string): string =>
      `Refunded ${price(Number(amountKopecks))} to the balance; subscription ${id} is ended.`,
    moved: (id: number, serverId: number | null): string => `Subscription ${id} is on server ${serverId === null ? '—' : `#${serverId}`}.`,
    cancelled: (id: number, phase: string): string => `Subscription ${id} is ${phase}.`,
    invariants: (report: InvariantReport): string =>
      report.ok
        ? `All invariants hold (${report.checked.payments} payments, ${report.checked.activeSubscriptions} active subscriptions, ${report.checked.panels} panels, ${report.checked.users} users checked).`
        : [
            `${report.violations.length + report.omitted} invariant violation(s):`,
            ...report.violations.slice(0, INVARIANT_LINES).map((violation) => `• ${violation.kind}: ${violation.summary}`),
            ...(report.violations.length + report.omitted > INVARIANT_LINES
              ? [`… and ${report.violations.length + report.omitted - INVARIANT_LINES} more.`]
              : []),
          ].join('\n'),
  },
  menu: menuEn,
  genericError: 'Something went wrong. Please try again in a minute.',
  commands: {
    start: 'Start',
    plans: 'Plans and prices',
    subscriptions: 'My subscriptions',
    gifts: 'My gifts',
    trial: 'Free trial',
    autorenew: 'Auto-renewal',
    help: 'Help',
    paysupport: 'Payment support',
    terms: 'Terms of service',
  },
};

/** The texts of one locale: the shape of {@link en}. */
export type BotTexts = typeof en;
