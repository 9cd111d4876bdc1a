import { z } from 'zod';
import { PLATFORMS, type Platform } from '../lib/vpn-apps/connect-apps';
import { PAYMENT_METHODS, type PaymentMethod } from './bot-services';

export { PLATFORMS, type Platform } from '../lib/vpn-apps/connect-apps';

/** Languages a user can choose. */
export const LANGUAGES = ['ru', 'en'] as const;

/** What an inline button asks for. */
export type CallbackAction =
  | { type: 'plans' }
  | { type: 'plan'; planId: number }
  | { type: 'pay'; planId: number; method: PaymentMethod }
  /** Buy this plan as a gift: its payment methods. */
  | { type: 'gift'; planId: number }
  /** Pay for a gift of this plan with a method. */
  | { type: 'gpay'; planId: number; method: PaymentMethod }
  /** The gifts the user bought, with their links. */
  | { type: 'gifts' }
  | { type: 'trial' }
  | { type: 'autorenew'; enabled: boolean }
  /** The main menu. */
  | { type: 'menu' }
  /** The user's subscriptions, one button each. */
  | { type: 'subs' }
  /** One subscription's screen. */
  | { type: 'sub'; subscriptionId: number }
  /** The subscription's QR code, sent as a photo. */
  | { type: 'qr'; subscriptionId: number }
  /** The key message again. */
  | { type: 'key'; subscriptionId: number }
  /** Connection instructions for a platform. */
  | { type: 'how'; subscriptionId: number; platform: Platform }
  /** Renew this subscription. */
  | { type: 'renew'; subscriptionId: number }
  /** Pay for renewing this subscription with a method. */
  | { type: 'rpay'; subscriptionId: number; method: PaymentMethod }
  /** Balance & referrals. */
  | { type: 'balance' }
  /** Top up the balance: the amounts. */
  | { type: 'topup' }
  /** Top up the balance by this many whole roubles: the methods. */
  | { type: 'tamt'; rub: number }
  /** Pay a top-up of this many whole roubles with a method. */
  | { type: 'tpay'; rub: number; method: PaymentMethod }
  /** Help & support. */
  | { type: 'help' }
  /** Ask for the message to send to support. */
  | { type: 'support' }
  /** The language screen. */
  | { type: 'lang' }
  /** Choose a language. */
  | { type: 'setlang'; language: (typeof LANGUAGES)[number] };

/** Every callback type, each routed by exactly one feature through {@link callbackTrigger}. */
export const CALLBACK_TYPES = [
  'plans',
  'plan',
  'pay',
  'gift',
  'gpay',
  'gifts',
  'trial',
  'autorenew',
  'menu',
  'subs',
  'sub',
  'qr',
  'key',
  'how',
  'renew',
  'rpay',
  'balance',
  'topup',
  'tamt',
  'tpay',
  'help',
  'support',
  'lang',
  'setlang',
] as const satisfies ReadonlyArray<CallbackAction['type']>;

const id = z
  .string()
  .regex(/^[1-9]\d{0,9}$/)
  .transform(Number)
  .refine((value) => value <= 2_147_483_647);

/*
 * Callback data is `type[:arg...]`, at most 64 bytes (Telegram's limit). Anything else, including
 * buttons from older bot versions, parses to undefined and is answered as out of date.
 */
const callbackSchema = z.union([
  z.tuple([z.literal('plans')]).transform((): CallbackAction => ({ type: 'plans' })),
  z.tuple([z.literal('plan'), id]).transform(([, planId]): CallbackAction => ({ type: 'plan', planId })),
  z
    .tuple([z.literal('pay'), id, z.enum(PAYMENT_METHODS)])
    .transform(([, planId, method]): CallbackAction => ({ type: 'pay', planId, method })),
  z.tuple([z.literal('gift'), id]).transform(([, planId]): CallbackAction => ({ type: 'gift', planId })),
  z
    .tuple([z.literal('gpay'), id, z.enum(PAYMENT_METHODS)])
    .transform(([, planId, method]): CallbackAction => ({ type: 'gpay', planId, method })),
  z.tuple([z.literal('trial')]).transform((): CallbackAction => ({ type: 'trial' })),
  z
    .tuple([z.literal('autorenew'), z.enum(['on', 'off'])])
    .transform(([, setting]): CallbackAction => ({ type: 'autorenew', enabled: setting === 'on' })),
  ...(['menu', 'subs', 'gifts', 'balance', 'topup', 'help', 'support', 'lang'] as const).map((type) =>
    z.tuple([z.literal(type)]).transform((): CallbackAction => ({ type })),
  ),
  ...(['sub', 'qr', 'key', 'renew'] as const).map((type) =>
    z.tuple([z.literal(type), id]).transform(([, subscriptionId]): CallbackAction => ({ type, subscriptionId })),
  ),
  z
    .tuple([z.literal('rpay'), id, z.enum(PAYMENT_METHODS)])
    .transform(([, subscriptionId, method]): CallbackAction => ({ type: 'rpay', subscriptionId, method })),
  z
    .tuple([z.literal('how'), id, z.enum(PLATFORMS)])
    .transform(([, subscriptionId, platform]): CallbackAction => ({ type: 'how', subscriptionId, platform })),
  z.tuple([z.literal('tamt'), id]).transform(([, rub]): CallbackAction => ({ type: 'tamt', rub })),
  z.tuple([z.literal('tpay'), id, z.enum(PAYMENT_METHODS)]).transform(([, rub, method]): CallbackAction => ({ type: 'tpay', rub, method })),
  z.tuple([z.literal('setlang'), z.enum(LANGUAGES)]).transform(([, language]): CallbackAction => ({ type: 'setlang', language })),
]);

/**
 * Encodes an action as callback data: `plans`, `plan:<id>`, `pay:<planId>:<method>`, `gift:<planId>`,
 * `gpay:<planId>:<method>`, `gifts`, `trial`,
 * `autorenew:on|off`, `menu`, `subs`, `sub|qr|key|renew:<subscriptionId>`,
 * `how:<subscriptionId>:<platform>`, `rpay:<subscriptionId>:<method>`, `balance`, `topup`, `tamt:<rub>`,
 * `tpay:<rub>:<method>`, `help`, `support`, `lang`, `setlang:ru|en`.
 */
export function encodeCallback(action: CallbackAction): string {
  switch (action.type) {
    case 'menu':
    case 'subs':
    case 'gifts':
    case 'balance':
    case 'topup':
    case 'help':
    case 'support':
    case 'lang':
      return action.type;
    case 'sub':
    case 'qr':
    case 'key':
    case 'renew':
      return `${action.type}:${action.subscriptionId}`;
    case 'how':
      return `how:${action.subscriptionId}:${action.platform}`;
    case 'rpay':
      return `rpay:${action.subscriptionId}:${action.method}`;
    case 'setlang':
      return `setlang:${action.language}`;
    case 'tamt':
      return `tamt:${action.rub}`;
    case 'tpay':
      return `tpay:${action.rub}:${action.method}`;
    case 'plans':
      return 'plans';
    case 'plan':
      return `plan:${action.planId}`;
    case 'pay':
      return `pay:${action.planId}:${action.method}`;
    case 'gift':
      return `gift:${action.planId}`;
    case 'gpay':
      return `gpay:${action.planId}:${action.method}`;
    case 'trial':
      return 'trial';
    case 'autorenew':
      return `autorenew:${action.enabled ? 'on' : 'off'}`;
  }
}

/**
 * The trigger a feature registers with `composer.callbackQuery(...)`: callback data of this type,
 * with or without arguments (`plan` matches `plan:2` and `plan:01`, never `plans`). Features parse
 * the data with {@link parseCallback} and answer malformed data of their own type as out of date;
 * data no trigger matches reaches the stale-button fallback.
 */
export function callbackTrigger(type: CallbackAction['type']): RegExp {
  return new RegExp(`^${type}(?::|$)`);
}

/** Parses callback data from Telegram; `undefined` for anything malformed, unknown or too long. */
export function parseCallback(data: string | undefined): CallbackAction | undefined {
  if (data === undefined || Buffer.byteLength(data) > 64) return undefined;
  const parsed = callbackSchema.safeParse(data.split(':'));
  return parsed.success ? parsed.data : undefined;
}

const startPayloadSchema = z
  .string()
  .regex(/^ref_[A-Za-z0-9_-]{1,60}$/)
  .transform((payload) => payload.slice('ref_'.length));

const giftPayloadSchema = z
  .string()
  .regex(/^gift_[A-Za-z0-9_-]{1,59}$/)
  .transform((payload) => payload.slice('gift_'.length));

/** Reads the gift code from a `/start gift_<code>` deep-link payload; `undefined` for anything else. */
export function parseGiftCode(startPayload: string): string | undefined {
  const parsed = giftPayloadSchema.safeParse(startPayload.trim());
  return parsed.success ? parsed.data : undefined;
}

/**
 * Reads the referral code from a `/start` deep-link payload (`t.me/<bot>?start=ref_<code>`).
 * Telegram allows 1–64 characters of `A-Za-z0-9_-`; anything else is ignored (`undefined`).
 */
export function parseReferralCode(startPayload: string): string | undefined {
  const parsed = startPayloadSchema.safeParse(startPayload.trim());
  return parsed.success ? parsed.data : undefined;
}
