/**
 * Exact money arithmetic. The database stores money as NUMERIC(12,2) and hands it to TypeScript
 * as a decimal string ("249.00"; see lib/db/create-pool.ts); Temporal payloads and provider APIs
 * carry the same strings. Arithmetic happens on integer kopecks held in a `bigint`, which is exact
 * and cannot silently lose precision; JS floats never touch money.
 *
 * Units: a `Kopecks` value is hundredths of the currency unit (kopecks for RUB). Telegram Stars
 * (XTR) are whole numbers and use the same helpers with a zero fractional part.
 */

/** An amount in hundredths of the currency unit (kopecks for RUB). */
export type Kopecks = bigint;

/** How a fractional kopeck is settled. */
export type Rounding = 'half-up' | 'down' | 'up';

/** Accepted money text: optional minus, digits, optionally a dot and one or two decimals. */
const MONEY_TEXT = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

/** Canonical money text as Postgres prints NUMERIC(12,2): exactly two decimals. */
export const CANONICAL_MONEY_PATTERN = /^-?\d+\.\d{2}$/;

/** Largest absolute amount a NUMERIC(12,2) column holds, in kopecks (9 999 999 999.99). */
export const MAX_COLUMN_KOPECKS: Kopecks = 999_999_999_999n;

/**
 * Parses decimal money text ("249", "249.5", "249.00", "-10.05") into kopecks.
 * More than two decimals are rejected rather than rounded: an amount that cannot be represented
 * exactly is a bug upstream, not something to hide.
 *
 * @throws RangeError when the text is not plain decimal money (exponents, spaces, commas, "1.234")
 */
export function parseMoney(text: string): Kopecks {
  const match = MONEY_TEXT.exec(text);
  if (match === null) throw new RangeError(`not a money amount: ${JSON.stringify(text.slice(0, 40))}`);
  const [, minus, whole = '0', fraction = ''] = match;
  const kopecks = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return minus === undefined ? kopecks : -kopecks;
}

/** Formats kopecks as canonical decimal text with two decimals ("249.00", "-0.05"). */
export function formatMoney(kopecks: Kopecks): string {
  const negative = kopecks < 0n;
  const absolute = negative ? -kopecks : kopecks;
  const whole = absolute / 100n;
  const fraction = (absolute % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * Re-prints money text canonically ("249" -> "249.00").
 *
 * @throws RangeError as {@link parseMoney}
 */
export function normalizeMoney(text: string): string {
  return formatMoney(parseMoney(text));
}

/** Sum of any number of amounts, in kopecks (0 for none). */
export function sumMoney(...amounts: readonly Kopecks[]): Kopecks {
  let total = 0n;
  for (const amount of amounts) total += amount;
  return total;
}

/** `a - b` in kopecks. */
export function subtractMoney(a: Kopecks, b: Kopecks): Kopecks {
  return a - b;
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareMoney(a: Kopecks, b: Kopecks): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Parses a percentage given as a whole number (`20`) or decimal text with up to two decimals
 * (`"12.5"`) into basis points (hundredths of a percent), exactly.
 *
 * @throws RangeError for a non-integer number, malformed text, or a value outside 0..100
 */
export function parsePercent(percent: number | string): bigint {
  let basisPoints: bigint;
  if (typeof percent === 'number') {
    if (!Number.isSafeInteger(percent))
      throw new RangeError('a numeric percent must be a whole number; pass text like "12.5" for fractions');
    basisPoints = BigInt(percent) * 100n;
  } else {
    basisPoints = parseMoney(percent);
  }
  if (basisPoints < 0n || basisPoints > 10_000n) throw new RangeError(`percent out of 0..100: ${String(percent)}`);
  return basisPoints;
}

/** Divides with an explicit rounding rule; `divisor` must be positive. */
function divideRounded(dividend: bigint, divisor: bigint, rounding: Rounding): bigint {
  const negative = dividend < 0n;
  const absolute = negative ? -dividend : dividend;
  let quotient = absolute / divisor;
  const remainder = absolute % divisor;
  if (remainder !== 0n) {
    if (rounding === 'up') quotient += 1n;
    else if (rounding === 'half-up' && remainder * 2n >= divisor) quotient += 1n;
  }
  return negative ? -quotient : quotient;
}

/**
 * `percent` % of `amount`, rounded to a whole kopeck. Rounding applies to the magnitude, so it is
 * symmetric around zero: 'half-up' rounds half a kopeck away from zero (the commercial rule),
 * 'down' truncates toward zero, 'up' rounds away from zero.
 *
 * @param percent whole number or decimal text with up to two decimals, 0..100
 * @throws RangeError as {@link parsePercent}
 */
export function percentOf(amount: Kopecks, percent: number | string, rounding: Rounding = 'half-up'): Kopecks {
  return divideRounded(amount * parsePercent(percent), 10_000n, rounding);
}

/**
 * The price after a percentage discount. The discount is computed with {@link percentOf} (default
 * 'half-up', so a 0.5-kopeck discount is granted) and subtracted, which keeps
 * `discounted + discount === price` exact and the result within 0..price.
 *
 * @throws RangeError as {@link parsePercent}
 */
export function applyDiscount(price: Kopecks, percent: number | string, rounding: Rounding = 'half-up'): Kopecks {
  return price - percentOf(price, percent, rounding);
}

/**
 * The price after a promo code of `percentOff` whole percent: {@link applyDiscount} with 'half-up',
 * but never below one kopeck (a 100% code still leaves a 0.01 order, since payments must be
 * positive). A non-positive price is returned unchanged.
 *
 * @throws RangeError as {@link parsePercent}
 */
export function promoPrice(price: Kopecks, percentOff: number): Kopecks {
  if (price <= 0n) return price;
  const discounted = applyDiscount(price, percentOff, 'half-up');
  return discounted < 1n ? 1n : discounted;
}

/**
 * Whether `kopecks` fits a NUMERIC(12,2) column.
 */
export function fitsMoneyColumn(kopecks: Kopecks): boolean {
  return kopecks <= MAX_COLUMN_KOPECKS && kopecks >= -MAX_COLUMN_KOPECKS;
}
