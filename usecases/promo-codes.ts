/**
 * Promo codes as the user meets them: applied once (/promo or the Promo button) and kept in the
 * database (pending_promos) until an order with it is paid; the discount shows on every screen
 * until then. The purchase reserves the code when it creates the order and the payment's
 * completion consumes it (sql/repositories/promo-codes-repository.ts); a cancelled or timed-out
 * order releases it.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import { parseMoney, promoPrice, type Kopecks } from '../lib/money';
import type { Actor } from '../sql/repositories/audit-repository';
import { clearPendingPromo, findUsablePromo, getPendingPromo, setPendingPromo } from '../sql/repositories/promo-codes-repository';
import type { PromoCodeRow } from '../sql/schemas/promo-code-row';

/** A code the user applied, as the bot shows it. */
export interface AppliedPromo {
  /** Upper-cased. */
  code: string;
  /** Whole percent off (a percent code), else null. */
  percentOff: number | null;
  /** Kopecks off (a fixed-amount code), else null. */
  amountOffKopecks: Kopecks | null;
}

/** The result of {@link PromoService.applyPromo}. */
export type ApplyPromoResult = { kind: 'applied'; promo: AppliedPromo } | { kind: 'invalid' };

/** The price of a plan after a code: never below one kopeck; a free plan stays free. */
export function discountedKopecks(listKopecks: Kopecks, promo: Pick<PromoCodeRow, 'percent_off' | 'amount_off'>): Kopecks {
  if (listKopecks <= 0n) return listKopecks;
  if (promo.percent_off !== null) return promoPrice(listKopecks, promo.percent_off);
  const off = promo.amount_off === null ? 0n : parseMoney(promo.amount_off);
  const price = listKopecks - off;
  return price < 1n ? 1n : price;
}

/** The bot's view of a promo row. */
export function appliedPromoOf(row: PromoCodeRow): AppliedPromo {
  return { code: row.code, percentOff: row.percent_off, amountOffKopecks: row.amount_off === null ? null : parseMoney(row.amount_off) };
}

/** What the bot calls. */
export interface PromoService {
  /**
   * Checks a code the user typed (any case, spaces trimmed) and, when they may use it (active, not
   * expired, uses left, not used by them before), stores it as their pending promo.
   */
  applyPromo(userId: number, code: string): Promise<ApplyPromoResult>;
  /**
   * The user's pending promo while it is still usable by them (show the discount with it); an
   * unusable one (expired, used up, switched off) is forgotten and null returned.
   */
  pendingPromo(userId: number): Promise<AppliedPromo | null>;
  /** Forgets the user's pending promo (the user removed it). */
  clearPromo(userId: number): Promise<void>;
}

/** Builds the promo service. */
export function createPromoService(deps: { db: DatabasePool; now?: () => Date }): PromoService {
  const now = deps.now ?? (() => new Date());
  return {
    async applyPromo(userId, code) {
      const row = await findUsablePromo(deps.db, { code, userId, now: now() });
      if (row === null) return { kind: 'invalid' };
      const actor: Actor = { type: 'user', userId };
      await setPendingPromo(deps.db, { userId, promoCodeId: row.id, actor });
      return { kind: 'applied', promo: appliedPromoOf(row) };
    },
    async pendingPromo(userId) {
      const row = await getPendingPromo(deps.db, userId);
      if (row === null) return null;
      const usable = await findUsablePromo(deps.db, { code: row.code, userId, now: now() });
      if (usable === null) {
        await clearPendingPromo(deps.db, userId);
        return null;
      }
      return appliedPromoOf(usable);
    },
    clearPromo: (userId) => clearPendingPromo(deps.db, userId),
  };
}
