/**
 * Small conversions and checks shared by the provider modules: idempotency keys, positive amounts,
 * order ids carried in metadata/payloads, and decimal amounts as providers print them.
 */
import { formatMoney, parseMoney, type Kopecks } from '../money';

/** YooKassa's limit on `Idempotence-Key`, applied to every provider for uniformity. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 64;

const KEY_PATTERN = /^[\x21-\x7e]{1,64}$/;
const ORDER_ID_PATTERN = /^[1-9]\d{0,15}$/;
const PROVIDER_AMOUNT = /^(\d+)(?:\.(\d+))?$/;

/**
 * Checks an idempotency key: 1..64 printable ASCII characters without spaces.
 * @throws RangeError otherwise (a caller bug, never retried)
 */
export function assertIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new RangeError(`an idempotency key must be 1..${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`);
  }
}

/**
 * Checks that an amount is positive and returns it as two-decimal text ("299.00").
 * @throws RangeError for zero or negative amounts
 */
export function positiveAmountText(amountKopecks: Kopecks): string {
  if (amountKopecks <= 0n) throw new RangeError('a payment amount must be positive');
  return formatMoney(amountKopecks);
}

/** Text form of an order id as it goes into metadata and payloads ("42"). */
export function orderIdText(orderId: number): string {
  if (!Number.isSafeInteger(orderId) || orderId <= 0) throw new RangeError('an order id must be a positive integer');
  return String(orderId);
}

/** Reads an order id back from metadata/payload text; null unless it is a positive integer. */
export function parseOrderIdText(text: string | undefined | null): number | null {
  if (text === undefined || text === null || !ORDER_ID_PATTERN.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * Parses a non-negative decimal amount as a provider prints it ("299", "299.5", "299.00",
 * "299.00000000") into kopecks. Digits beyond the second decimal must be zeros.
 * @throws RangeError for anything else (the caller maps it to a bad-response error)
 */
export function parseProviderAmount(text: string): Kopecks {
  const match = PROVIDER_AMOUNT.exec(text);
  if (match === null) throw new RangeError('not a decimal amount');
  const [, whole = '0', fraction = ''] = match;
  if (/[^0]/.test(fraction.slice(2))) throw new RangeError('amount has fractions of a kopeck');
  const cents = fraction.slice(0, 2);
  return parseMoney(cents === '' ? whole : `${whole}.${cents}`);
}

/** Truncates display text to `max` UTF-16 units without splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/** Parses an ISO 8601 timestamp from a provider; undefined when absent or unparsable. */
export function optionalDate(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
