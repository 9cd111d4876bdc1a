/**
 * Pricing in Telegram Stars (XTR, whole numbers). The shop sets a rate in kopecks per Star
 * (configuration, e.g. 180 = 1.80 ₽ per Star); a ruble price becomes Stars by exact integer
 * division with an explicit rounding rule, never through floats.
 */
import { parseMoney, type Kopecks, type Rounding } from '../../money';

/** The most Stars one subscription invoice may cost (Bot API: 10 000; earlier 2 500). */
export const MAX_STARS_SUBSCRIPTION_PRICE = 10_000;

/**
 * Converts a ruble price to Stars: `amountKopecks / kopecksPerStar`, rounded by `rounding`.
 * The default 'up' (ceiling) never sells below the ruble price; 'down' never charges more than
 * it; 'half-up' is the nearest Star, halves up. The result is at least 1 Star.
 *
 * @param amountKopecks positive price in kopecks
 * @param kopecksPerStar positive integer rate, kopecks per Star
 * @throws RangeError for a non-positive amount or rate, a non-integer rate, or an unsafe result
 */
export function rubToStars(amountKopecks: Kopecks, kopecksPerStar: bigint | number, rounding: Rounding = 'up'): number {
  if (amountKopecks <= 0n) throw new RangeError('a Stars price needs a positive ruble amount');
  if (typeof kopecksPerStar === 'number' && !Number.isSafeInteger(kopecksPerStar))
    throw new RangeError('kopecksPerStar must be an integer');
  const rate = BigInt(kopecksPerStar);
  if (rate <= 0n) throw new RangeError('kopecksPerStar must be positive');
  let stars = amountKopecks / rate;
  const remainder = amountKopecks % rate;
  if (remainder !== 0n && (rounding === 'up' || (rounding === 'half-up' && remainder * 2n >= rate))) stars += 1n;
  if (stars < 1n) stars = 1n;
  if (stars > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('Stars amount out of range');
  return Number(stars);
}

/**
 * Reads an XTR amount stored as money text (`payments.amount` "150.00") as whole Stars.
 * @throws RangeError for malformed text or a fractional Star
 */
export function starsOfAmountText(text: string): number {
  const hundredths = parseMoney(text);
  if (hundredths % 100n !== 0n) throw new RangeError('Stars are whole numbers');
  return Number(hundredths / 100n);
}
