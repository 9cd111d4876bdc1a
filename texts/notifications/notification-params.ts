/**
 * The values a notification text may show, read once from the loosely typed `NotifyInput.params`
 * (plain JSON from a workflow) into typed fields. A value of the wrong shape is dropped rather
 * than shown: a text then leaves out the line that needed it.
 */
import type { NotificationKind, NotifyInput } from '../../activities/contracts/lifecycle-activities';

/** Parsed notification parameters; every field is optional. */
export interface NotificationParams {
  /** End of the paid period. */
  endsAt?: Date;
  /** Hours left until `endsAt` (reminders). */
  hoursLeft?: number;
  /** Days of a period (trial length, extension). */
  days?: number;
  /** Share link(s), one per line. */
  vpnKey?: string;
  /** `<publicBaseUrl>/sub/<token>`. */
  subscriptionUrl?: string;
  /** An amount of money in kopecks (refund, bonus, renewal price). */
  amountKopecks?: number;
  /** The user's balance in kopecks. */
  balanceKopecks?: number;
  planName?: string;
  serverName?: string;
  /** Whole Telegram Stars (a Stars refund). */
  stars?: number;
  /** Why a Stars charge was refunded (lib/payments/stars StarsRefundReason). */
  refundReason?: string;
  /** How a checkout ended unpaid: 'failed', 'cancelled' (by the provider) or 'expired' (not paid in time). */
  reason?: string;
  /** What to press to try again: 'renew' for a renewal, else Buy. */
  action?: string;
  /** A paid gift's code. */
  giftCode?: string;
}

/** Parameter names whose values are credentials: never stored in the outbox or logged. */
export const SECRET_PARAMS: ReadonlySet<string> = new Set(['vpnKey', 'subscriptionUrl']);

type RawParams = NonNullable<NotifyInput['params']>;

function text(raw: RawParams, name: string): string | undefined {
  const value = raw[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function wholeNumber(raw: RawParams, name: string): number | undefined {
  const value = raw[name];
  const parsed = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof parsed === 'number' && Number.isSafeInteger(parsed) ? parsed : undefined;
}

function instant(raw: RawParams, name: string): Date | undefined {
  const value = raw[name];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Reads the known parameters; unknown names are ignored. */
export function parseNotificationParams(raw: RawParams = {}): NotificationParams {
  const entries: Array<[keyof NotificationParams, unknown]> = [
    ['endsAt', instant(raw, 'endsAt')],
    ['hoursLeft', wholeNumber(raw, 'hoursLeft')],
    ['days', wholeNumber(raw, 'days')],
    ['vpnKey', text(raw, 'vpnKey')],
    ['subscriptionUrl', text(raw, 'subscriptionUrl')],
    ['amountKopecks', wholeNumber(raw, 'amountKopecks')],
    ['balanceKopecks', wholeNumber(raw, 'balanceKopecks')],
    ['planName', text(raw, 'planName')],
    ['serverName', text(raw, 'serverName')],
    ['stars', wholeNumber(raw, 'stars')],
    ['refundReason', text(raw, 'refundReason')],
    ['reason', text(raw, 'reason')],
    ['action', text(raw, 'action')],
    ['giftCode', text(raw, 'giftCode')],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as NotificationParams;
}

/** A copy of `raw` without the credential parameters (for the outbox row). */
export function withoutSecretParams(raw: RawParams = {}): RawParams {
  return Object.fromEntries(Object.entries(raw).filter(([name]) => !SECRET_PARAMS.has(name)));
}

/** One locale's texts: every kind must have one (the type makes a missing kind a compile error). */
export type NotificationTexts = Readonly<Record<NotificationKind, (params: NotificationParams) => string>>;
