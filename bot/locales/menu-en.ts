import type { AccountSummary, BotSubscription, SubscriptionDetails } from '../bot-services';
import { importLink, type ConnectApp, type Platform } from '../../lib/vpn-apps/connect-apps';
import { escapeHtml } from '../html';
import { formatRub } from '../../texts/format-rub';

const price = (kopecks: number): string => formatRub(kopecks, { decimalSeparator: '.', groupSeparator: ',' });
const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'Europe/Moscow' });
const gb = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
const DAY_MS = 86_400_000;

/** Whole days from `now` to `endsAt`, rounded up, never negative. */
export function daysLeft(endsAt: Date, now: Date): number {
  return Math.max(0, Math.ceil((endsAt.getTime() - now.getTime()) / DAY_MS));
}

const STATUS: Record<BotSubscription['status'], string> = {
  pending: '⏳ waiting for payment',
  active: '✅ active',
  expired: '⌛ expired',
  cancelled: '✖ cancelled',
};

/**
 * English texts of the menu screens (main menu, my subscriptions, balance & referrals, language,
 * help & support). Screens with a key are HTML (`parse_mode: 'HTML'`, everything dynamic escaped)
 * so the key and the link are copyable `<code>`; the rest are plain text.
 */
export const menuEn = {
  mainMenu: 'Main menu: what would you like to do?',
  unknownInput: 'I did not understand that. Here is the menu:',
  buttons: {
    buy: '🛒 Buy a subscription',
    subscriptions: '🔑 My subscriptions',
    balance: '💰 Balance & referrals',
    help: '💬 Help & support',
    language: '🌐 Language',
    menu: '« Main menu',
    backToSubscriptions: '« My subscriptions',
    backToSubscription: '« Back to the subscription',
    qr: '📷 QR code',
    sendKey: '🔁 Send my key again',
    renew: '🔄 Renew',
    writeSupport: '✉️ Write to support',
    openIn: (app: string): string => `📲 Add to ${app}`,
    payFromBalance: '🛒 Pay from balance',
    topUp: '➕ Top up the balance',
    backToBalance: '« Balance',
  },
  topUp: {
    chooseAmount: (bounds: { min: number; max: number }): string =>
      `How much would you like to put on your balance? Choose an amount, or send /topup with any amount from ${price(bounds.min * 100)} to ${price(bounds.max * 100)}, e.g. /topup 750.`,
    amountButton: (rub: number): string => price(rub * 100),
    chooseMethod: (rub: number): string => `Top up the balance by ${price(rub * 100)}. How would you like to pay?`,
    payByLink: (rub: number): string => `To put ${price(rub * 100)} on your balance, open the payment page:`,
    starsTitle: 'Balance top-up',
    starsDescription: (rub: number): string => `${price(rub * 100)} on your VPN balance: pay for any plan or renewal with it.`,
    noMethods: 'Top-ups are not available right now. Please try later or write to /paysupport.',
  },
  groupChat: 'I work in private chats only. Please write to me directly.',
  openPrivateChat: 'Open a private chat',
  subscriptionsTitle: 'Your subscriptions: choose one to see its key and how to connect.',
  subscriptionButton: (sub: BotSubscription): string =>
    `${sub.planName} · ${STATUS[sub.status]}${sub.endsAt === null ? '' : ` · ${dateFormat.format(sub.endsAt)}`}`,
  /** A subscription's screen, HTML. */
  subscription: (sub: SubscriptionDetails, now: Date): string =>
    [
      `<b>${escapeHtml(sub.planName)}</b> (#${sub.id})`,
      `Status: ${STATUS[sub.status]}`,
      ...(sub.endsAt === null ? [] : [`Days left: ${daysLeft(sub.endsAt, now)} (until ${dateFormat.format(sub.endsAt)})`]),
      `Traffic: ${gb(sub.trafficUsedBytes)} of ${sub.trafficLimitBytes === null ? 'unlimited' : gb(sub.trafficLimitBytes)}`,
      ...(sub.devices === undefined ? [] : [`Devices: up to ${sub.devices}`]),
      ...(sub.server === undefined
        ? []
        : [`Server: ${escapeHtml(sub.server.name)}${sub.server.location === null ? '' : ` (${escapeHtml(sub.server.location)})`}`]),
      '',
      ...(sub.vpnKey === undefined && sub.subscriptionUrl === undefined
        ? ['The key is not ready yet: it arrives here as soon as the subscription is set up.']
        : [
            ...(sub.vpnKey === undefined ? [] : ['Key (tap to copy):', `<code>${escapeHtml(sub.vpnKey)}</code>`]),
            ...(sub.subscriptionUrl === undefined
              ? []
              : ['Subscription link for the apps:', `<code>${escapeHtml(sub.subscriptionUrl)}</code>`]),
            '',
            'How to connect: choose your device below.',
          ]),
    ].join('\n'),
  /** The key message sent again, HTML. */
  keyMessage: (sub: SubscriptionDetails): string =>
    [
      `Your key for «${escapeHtml(sub.planName)}»:`,
      ...(sub.vpnKey === undefined ? [] : [`<code>${escapeHtml(sub.vpnKey)}</code>`]),
      ...(sub.subscriptionUrl === undefined ? [] : ['Subscription link:', `<code>${escapeHtml(sub.subscriptionUrl)}</code>`]),
    ].join('\n'),
  keyNotReady: 'The key is not ready yet. It arrives here as soon as the subscription is set up.',
  qrCaption: (sub: SubscriptionDetails): string => `QR code for «${sub.planName}»: scan it in your VPN app.`,
  platforms: { android: 'Android', ios: 'iPhone / iPad', windows: 'Windows', macos: 'macOS', linux: 'Linux' } satisfies Record<
    Platform,
    string
  >,
  /** Instructions for one platform, HTML. */
  instructions: (platform: Platform, apps: readonly ConnectApp[], subscriptionUrl: string): string =>
    [
      `<b>${menuEn.platforms[platform]}</b>: install one of these apps, then tap «Add to …» below (or open an import link in the browser), or add the subscription link in the app by hand.`,
      '',
      ...apps.map((app) =>
        app.app === undefined
          ? `• ${app.name}: add the subscription link by hand (Subscriptions → Add).`
          : `• ${app.name}: <code>${escapeHtml(importLink(app.app, subscriptionUrl))}</code>`,
      ),
      '',
      'Subscription link:',
      `<code>${escapeHtml(subscriptionUrl)}</code>`,
    ].join('\n'),
  renewChooseMethod: (sub: BotSubscription): string => `Renew «${sub.planName}» with the same key: choose how to pay.`,
  renewByLink: (planName: string): string => `To renew «${planName}», open the payment page:`,
  renewInvoiceDescription: (planName: string): string => `Another period of your VLESS VPN subscription «${planName}», same key.`,
  renewDone: 'Paid! Your subscription is extended; the key stays the same.',
  renewUnavailable: 'Renewal from here is not available yet. Buy a plan from the menu; your current key keeps working until its end date.',
  balance: (summary: AccountSummary, referralLink: string | undefined): string =>
    [
      `Balance: ${price(summary.balanceKopecks)}`,
      '',
      'Invite friends and get a bonus on your balance when they pay.',
      ...(referralLink === undefined ? [] : [`Your referral link: ${referralLink}`]),
      `Invited: ${summary.invitedCount} · bonus earned: ${price(summary.bonusEarnedKopecks)}`,
    ].join('\n'),
  languageTitle: 'Choose your language:',
  languageSet: 'Language: English.',
  helpScreen: [
    'Help & support.',
    'Buy a subscription, then open «My subscriptions»: it has your key, the link for the apps, a QR code and instructions for every device.',
    'Questions about payments or the connection? Write to support: an operator answers here.',
    'Commands: /plans, /subscriptions, /trial, /topup AMOUNT, /promo CODE, /autorenew, /paysupport, /terms.',
  ].join('\n'),
  supportPrompt: 'Write your question in one message as a reply to this one: it goes to our support team.',
  supportSent: 'Your message was sent to support. The answer will come here.',
  supportUnavailable: 'Support chat is not configured. Please use /paysupport.',
  supportReply: (text: string): string => `Support answers:\n\n${text}`,
  /** The header of a user's message in the operators' support chat. */
  supportTicket: (input: { telegramId: number; name: string; username?: string; userId: number | null; subscriptions: string[] }): string =>
    [
      `✉️ From ${input.name}${input.username === undefined ? '' : ` (@${input.username})`} #tg${input.telegramId}${input.userId === null ? '' : `, user ${input.userId}`}`,
      ...(input.subscriptions.length === 0 ? ['No subscriptions.'] : input.subscriptions.map((line) => `• ${line}`)),
      'Reply to this message to answer.',
    ].join('\n'),
  supportTicketSubscription: (sub: BotSubscription): string =>
    `#${sub.id} ${sub.planName}: ${sub.status}${sub.endsAt === null ? '' : ` until ${dateFormat.format(sub.endsAt)}`}`,
  supportDelivered: 'Delivered to the user.',
  supportNotDelivered: 'Could not deliver: the user blocked the bot or never started it.',
};

/** The menu texts of one locale: the shape of {@link menuEn}. */
export type MenuTexts = typeof menuEn;
