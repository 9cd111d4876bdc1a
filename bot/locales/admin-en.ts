/**
 * English texts of the operator console (/admin). Plain text (no parse mode): user names, promo
 * codes and broadcast texts are shown as typed. `ru` (admin-ru.ts) must satisfy {@link AdminTexts}.
 */
import type { BroadcastProgress } from '../../activities/contracts/broadcast-activities';
import type { BackupFile } from '../../usecases/backups';
import type { BroadcastAudience, BroadcastRefusal } from '../../usecases/broadcasts';
import type { MaintenanceState } from '../../usecases/maintenance';
import type { OperatorStats } from '../../usecases/operator-stats';
import { statsText } from '../../usecases/operator-stats';
import type { FoundUser, PromoUsage, UserCard } from '../../usecases/operator-console';
import type { OperatorRefusal } from '../../usecases/operator-types';
import type { ConnectionTest, ServerSummary } from '../../usecases/servers-service';
import { formatRub } from '../../texts/format-rub';

const rub = (kopecks: bigint | number): string => formatRub(Number(kopecks), { decimalSeparator: '.', groupSeparator: ',' });
/** `2030-01-02 03:04` (UTC). */
export const minute = (date: Date | null): string => (date === null ? '—' : date.toISOString().slice(0, 16).replace('T', ' '));
const day = (date: Date | null): string => (date === null ? '—' : date.toISOString().slice(0, 10));
const percent = (load: number): string => `${Math.round(load * 100)}%`;

/** A promo's discount as the list shows it. */
export const promoDiscount = (promo: Pick<PromoUsage, 'percent_off' | 'amount_off'>, money: (kopecks: bigint) => string): string =>
  promo.percent_off !== null ? `${promo.percent_off}%` : money(BigInt(Math.round(Number(promo.amount_off ?? '0') * 100)));

const AUDIENCES: Record<BroadcastAudience, string> = {
  all: 'Everyone',
  active: 'Active subscribers',
  expired: 'Expired',
  trial_only: 'Trial only',
  never_paid: 'Never paid',
};

export const adminEn = {
  notAllowed: 'Sorry, the operator console is for operators only.',
  unavailable: 'This part of the console is not configured on this bot.',
  menuTitle: 'Operator console',
  buttons: {
    stats: '📊 Stats',
    findUser: '🔎 Find user',
    servers: '🖥 Servers',
    promos: '🏷 Promo codes',
    broadcast: '📣 Broadcast',
    maintenance: '🛠 Maintenance',
    backups: '💾 Backups',
    back: '« Console',
    refresh: '🔄 Refresh',
    days: (days: number) => `${days} days`,
    extend: 'Extend',
    refund: 'Refund',
    move: 'Move',
    cancel: 'Cancel',
    balance: 'Adjust balance',
    resendKey: 'Resend key',
    confirm: '✅ Confirm',
    abort: '✖ Abort',
    anyServer: 'Any server with room',
    test: 'Test',
    disable: 'Close',
    enable: 'Open',
    reopen: 'Re-open',
    edit: 'Edit',
    addServer: '➕ Add server',
    newPromo: '➕ New code',
    disablePromo: (code: string) => `Disable ${code}`,
    backupNow: 'Back up now',
    maintenanceOn: 'Turn maintenance on',
    maintenanceOff: 'Turn maintenance off',
    cancelBroadcast: 'Stop broadcast',
    openUser: (telegramId: number) => `User ${telegramId}`,
    openSubscription: (id: number) => `Subscription #${id}`,
    audience: AUDIENCES,
  },
  stats: (stats: OperatorStats): string => statsText(stats),
  statsChartCaption: (days: number) => `Net revenue by day, ${days} days (RUB)`,
  findPrompt: 'Send a Telegram id, @username, subscription id, or a piece of their key or /sub link.',
  findNothing: (query: string) => `Nobody matches “${query}”.`,
  findMany: (count: number) => `${count} users match; pick one:`,
  foundUserButton: (user: FoundUser) =>
    `${user.telegramId}${user.username === null ? '' : ` @${user.username}`} (${user.matched.replace('_', ' ')})`,
  userCard: (card: UserCard): string => {
    const lines = [
      `User ${card.telegramId}${card.username === null ? '' : ` @${card.username}`} (id ${card.userId})`,
      `Name: ${card.firstName ?? '—'}, language: ${card.languageCode ?? '—'}, since ${day(card.createdAt)}`,
      `Balance: ${rub(card.balanceKopecks)}; auto-renew ${card.autoRenew ? 'on' : 'off'}; trial ${card.trialUsed ? 'used' : 'not used'}`,
      `Referrals: invited ${card.referrals.invited} (${card.referrals.paid} paid)${card.referrals.referredByTelegramId === null ? '' : `; invited by ${card.referrals.referredByTelegramId}`}`,
      '',
      'Subscriptions:',
      ...(card.subscriptions.length === 0
        ? ['  none']
        : card.subscriptions.map((sub) => `  #${sub.id} ${sub.status}, until ${minute(sub.endsAt)}, server ${sub.serverId ?? '—'}`)),
      'Payments:',
      ...(card.payments.length === 0
        ? ['  none']
        : card.payments.map(
            (payment) =>
              `  #${payment.id} ${payment.currency === 'RUB' ? rub(Math.round(Number(payment.amount) * 100)) : `${payment.amount} ${payment.currency}`} ${payment.payment_method} ${payment.status}${payment.subscription_id === null ? '' : ` → #${payment.subscription_id}`}, ${day(payment.created_at)}`,
          )),
      'Ledger:',
      ...(card.ledger.length === 0
        ? ['  none']
        : card.ledger.map((entry) => `  ${entry.amount} (${entry.reason}) → ${entry.balance_after}, ${day(entry.created_at)}`)),
      'Recent audit:',
      ...(card.audit.length === 0
        ? ['  none']
        : card.audit.map(
            (entry) =>
              `  ${minute(entry.created_at)} ${entry.action} by ${entry.actor}${entry.actor_id === null ? '' : `:${entry.actor_id}`}`,
          )),
    ];
    return lines.join('\n');
  },
  noSuchUser: 'That user no longer exists.',
  extendPrompt: (subscriptionId: number) => `Extend subscription #${subscriptionId} by how many days? Send a whole number from 1 to 3650.`,
  badDays: 'Send a whole number of days from 1 to 3650.',
  extended: (subscriptionId: number, endsAt: string | null) =>
    `Subscription #${subscriptionId} now runs until ${endsAt === null ? '—' : minute(new Date(endsAt))} UTC.`,
  refundPick: 'Which payment to refund? Only completed payments are listed.',
  refundNothing: 'No completed payment to refund.',
  refundConfirm: (paymentId: number, amount: string) =>
    `Refund payment #${paymentId} (${amount}) by its method and cancel its subscription?`,
  refunded: (paymentId: number, to: string, amount: string, currency: string) =>
    `Payment #${paymentId} refunded: ${amount} ${currency} to ${to === 'balance' ? 'the balance' : to === 'stars' ? 'Telegram Stars' : 'the card/SBP'}.`,
  refundPending: (paymentId: number, amount: string, currency: string) =>
    `Refund of payment #${paymentId} (${amount} ${currency}) is being processed by the payment provider. Nothing is changed yet: press Refund again later to check; once it has gone through, the payment is marked refunded and the user told.`,
  refundRefused: (reason: string, message?: string) =>
    `Refund refused: ${
      {
        'not-found': 'no such payment',
        'not-completed': 'the payment is not completed',
        'no-charge': 'no Stars charge is recorded for it',
        'provider-refused': 'the payment provider refused',
        'provider-unavailable': 'the payment provider did not answer; try again later',
        'balance-refund-failed': 'the subscription refused the refund',
        'top-up-not-refundable': 'this balance top-up cannot go back to the payer',
      }[reason] ?? reason
    }${message === undefined ? '' : ` (${message})`}.`,
  movePick: (subscriptionId: number) => `Move subscription #${subscriptionId} to which server?`,
  moved: (subscriptionId: number, serverId: number | null) => `Subscription #${subscriptionId} moved to server ${serverId ?? '—'}.`,
  cancelConfirm: (subscriptionId: number) => `Cancel subscription #${subscriptionId} now? The key stops working.`,
  cancelled: (subscriptionId: number, phase: string) => `Subscription #${subscriptionId} cancelled (${phase}).`,
  balancePrompt: (telegramId: number) =>
    `Adjust the balance of ${telegramId}: send the amount in roubles with a sign and the reason, e.g. “+150 compensation for downtime” or “-49.50 duplicate top-up”.`,
  badBalance: 'Send a signed amount in roubles (up to 2 decimals, not zero) and a reason, e.g. “+150 compensation”.',
  balanceAdjusted: (balanceKopecks: bigint) => `Done. The balance is now ${rub(balanceKopecks)}.`,
  balanceInsufficient: 'Refused: the balance cannot go below zero.',
  keyResent: (subscriptionId: number) => `The key of subscription #${subscriptionId} was sent to the user again.`,
  noKey: (subscriptionId: number) => `Subscription #${subscriptionId} has no active key to send.`,
  resentKeyMessage: (key: string, url: string | undefined) =>
    `Your VPN key, sent again by support:\n\n${key}${url === undefined ? '' : `\n\nSubscription link: ${url}`}`,
  noWorkflow: 'That subscription has no running workflow (never started, or already ended).',
  timeout: 'The subscription did not answer in time; the change may still apply. Look again in a minute.',
  rejected: (message: string) => `Refused: ${message}`,
  refusal: {
    'bad-days': 'Refused: days must be a whole number from 1 to 3650.',
    'payment-not-applied': 'Refused: that payment was not applied to this subscription.',
    'payment-not-rub': 'Refused: only a payment in roubles goes back to the balance.',
    'payment-not-completed': 'Refused: only a completed payment can be refunded (it was already refunded, or never paid).',
    'subscription-ended': 'Refused: the subscription has already ended.',
    'not-active': 'Refused: only an active subscription with a key can move.',
    'same-server': 'Refused: the subscription is already on that server.',
    'no-subscription': 'Refused: no such subscription.',
    'no-such-server': 'Refused: no server has that id.',
    'server-unavailable': 'Refused: that server cannot take a subscription now (closed, down or full).',
    'no-other-server': 'Refused: no other server can take it (open, up and with room). Add or open a server first.',
  } satisfies Record<OperatorRefusal, string>,
  servers: (servers: ServerSummary[]): string =>
    servers.length === 0
      ? 'No servers yet.'
      : [
          'Servers:',
          ...servers.map(
            (server) =>
              `#${server.id} ${server.name}${server.location === null ? '' : ` (${server.location})`}: ${server.open ? 'open' : `closed${server.closedReason === null ? '' : ` (${server.closedReason})`}`}, ${server.status}, ${server.users}/${server.maxUsers} (${percent(server.load)})` +
              `${server.lastError === null ? '' : `, last error: ${server.lastError}`}`,
          ),
        ].join('\n'),
  server: (server: ServerSummary, trafficBytes: number | undefined): string =>
    [
      `Server #${server.id} ${server.name}`,
      `Location: ${server.location ?? '—'}; endpoint ${server.endpoint}; inbound ${server.inboundId ?? '—'}; panel ${server.panelUrl ?? '—'} (${server.apiVersion ?? 'not detected'})`,
      `State: ${server.open ? 'open' : `closed${server.closedReason === null ? '' : ` (${server.closedReason})`}`}, health ${server.status}${server.downSince === null ? '' : ` since ${minute(server.downSince)}`}`,
      `Load: ${server.users}/${server.maxUsers} (${percent(server.load)})${trafficBytes === undefined ? '' : `; traffic this period ${(trafficBytes / 1024 ** 3).toFixed(1)} GB`}`,
      `Last seen: ${minute(server.lastSeenAt)}; last error: ${server.lastError ?? '—'}`,
    ].join('\n'),
  serverTest: (test: ConnectionTest) =>
    test.ok
      ? `Panel answers (${test.apiVersion}, ${test.latencyMs} ms). Inbounds:\n${test.inbounds.map((inbound) => `  ${inbound.id} ${inbound.protocol} :${inbound.port} ${inbound.network}/${inbound.security} “${inbound.remark}” ${inbound.clients} clients`).join('\n')}`
      : `Panel test failed: ${test.message}`,
  serverChanged: (name: string, open: boolean) => `Server ${name} is now ${open ? 'open' : 'closed'} to new subscriptions.`,
  serverReopenRefused: (reason: string) => `Not re-opened: ${reason}.`,
  serverError: (message: string) => `Refused: ${message}`,
  serverAddPrompt:
    'Send the new server in one message, fields separated by spaces:\nname panel_url web_base_path username password inbound_id [endpoint host:port] [max_users]\nUse - for an empty web base path. The message is deleted once read.',
  serverAdded: (id: number, name: string) => `Server #${id} ${name} added and tested.`,
  serverEditPrompt: (id: number) =>
    `Edit server #${id}: send key=value pairs, e.g. “max_users=800 location=Amsterdam name=NL-2 endpoint=nl2.example.com:443”.`,
  badServerInput: (detail: string) => `Could not read that: ${detail}`,
  promos: (promos: readonly PromoUsage[]): string =>
    promos.length === 0
      ? 'No promo codes yet.'
      : [
          'Promo codes:',
          ...promos.map(
            (promo) =>
              `${promo.code}: ${promoDiscount(promo, rub)} off, used ${promo.redeemed_count}${promo.max_redemptions === null ? '' : `/${promo.max_redemptions}`}` +
              `${promo.reserved > 0 ? ` (+${promo.reserved} reserved)` : ''}, ${promo.expires_at === null ? 'no expiry' : `until ${day(promo.expires_at)}`}${promo.is_active ? '' : ', disabled'}`,
          ),
        ].join('\n'),
  promoPrompt:
    'Send the new code: CODE DISCOUNT [LIMIT] [EXPIRY], e.g. “SPRING25 25% 100 2026-12-31” or “MINUS100 100₽”. DISCOUNT is a percent (1–100%) or roubles (₽).',
  badPromo:
    'Could not read that. Example: “SPRING25 25% 100 2026-12-31”: a code of 3–32 letters, digits, _ or -; 1–100% or an amount in ₽; an optional whole limit; an optional future date YYYY-MM-DD.',
  promoExists: (code: string) => `Code ${code} already exists.`,
  promoCreated: (promo: PromoUsage) => `Code ${promo.code} created: ${promoDiscount(promo, rub)} off.`,
  promoDisabled: (code: string) => `Code ${code} disabled.`,
  broadcastPickAudience: 'Broadcast: who receives it?',
  broadcastPrompt: (audience: BroadcastAudience) => `Send the text for “${AUDIENCES[audience]}” (plain text, up to 4096 characters).`,
  broadcastPreview: (audience: BroadcastAudience, recipients: number, text: string) =>
    `Preview: ${recipients} recipients (${AUDIENCES[audience]}).\n———\n${text}\n———\nSend it?`,
  broadcastRefused: {
    empty_text: 'The text is empty.',
    text_too_long: 'The text is longer than 4096 characters.',
    no_recipients: 'Nobody is in that audience.',
    busy: 'Another broadcast is still running; stop it or wait for it to finish.',
    unknown_audience: 'Unknown audience.',
  } satisfies Record<BroadcastRefusal, string>,
  broadcastStarted: (id: number, recipients: number) =>
    `Broadcast #${id} started for ${recipients} recipients. The report comes when it ends.`,
  broadcastNothingPending: 'Nothing to send: start again from the console.',
  broadcastProgress: (progress: BroadcastProgress) =>
    `Broadcast #${progress.broadcastId}: ${progress.status}. Sent ${progress.sent} of ${progress.total}; pending ${progress.pending}, blocked ${progress.blocked}, failed ${progress.failed}, unknown ${progress.unknown}.`,
  broadcastCancelled: (id: number) => `Broadcast #${id} stopped; nothing more is sent.`,
  broadcastAborted: 'Broadcast discarded.',
  maintenance: (state: MaintenanceState) =>
    [
      `Maintenance: ${state.manual.on ? 'ON' : 'off'}${state.manual.on && state.manual.note !== null ? ` (“${state.manual.note}”)` : ''}`,
      `Servers up: ${state.servers.up} of ${state.servers.active} open`,
      `Selling now: ${state.selling.selling ? 'yes' : `no (${state.selling.reason})`}`,
      ...(state.manual.changedAt === null ? [] : [`Last change: ${minute(state.manual.changedAt)} by ${state.manual.changedBy ?? '—'}`]),
    ].join('\n'),
  backups: (files: BackupFile[]) =>
    files.length === 0
      ? 'No backups in the folder yet.'
      : [
          'Newest backups:',
          ...files.slice(0, 10).map((file) => `  ${file.name} ${(file.bytes / 1024 / 1024).toFixed(1)} MB, ${minute(file.modifiedAt)}`),
        ].join('\n'),
  backupStarted: 'Backup started; the report arrives in the alert chat when it is done.',
  backupsOff: 'Backups are not configured (BACKUP_DIR).',
  sellingPaused: 'Sales are paused for maintenance. Your money is safe: please try again a little later.',
  sellingPausedWithNote: (note: string) => `Sales are paused for maintenance: ${note}. Please try again a little later.`,
};

/** The console's texts (English shape; Russian must match). */
export type AdminTexts = typeof adminEn;
