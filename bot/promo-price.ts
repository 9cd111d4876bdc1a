import { formatMoney } from '../lib/money';
import { discountedKopecks } from '../usecases/promo-codes';
import type { BotPromo } from './bot-services';

/**
 * A list price after the user's pending promo, computed by the same rule the purchase charges
 * (usecases/promo-codes.ts discountedKopecks): a percent or a fixed amount off, never below one kopeck.
 */
export function promoPriceKopecks(listKopecks: number, promo: BotPromo): number {
  const row = {
    percent_off: promo.percentOff,
    amount_off: promo.amountOffKopecks === null ? null : formatMoney(BigInt(promo.amountOffKopecks)),
  };
  return Number(discountedKopecks(BigInt(listKopecks), row));
}
