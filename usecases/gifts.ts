/**
 * Gifts: a plan bought as a gift (startPurchase with `gift: true`) gives the buyer a code and a
 * t.me deep link (`start=gift_<code>`); the first user to open it gets the subscription: a
 * subscription of theirs is created, the gift's payment is attached to it and handed to its
 * workflow, which applies it like any payment (key delivered to the redeemer). Every redemption
 * is audited ('gift.redeemed').
 */
import type { Client } from '@temporalio/client';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Actor } from '../sql/repositories/audit-repository';
import { listGiftsOfBuyer, lockGiftByCode, markGiftRedeemed } from '../sql/repositories/gifts-repository';
import { createPendingSubscription } from '../sql/repositories/subscriptions-repository';
import { signalWithStartSubscription, type PaymentCompletedSignal } from '../clients/subscription-workflow-client';

/** A gift as its buyer sees it. */
export interface GiftView {
  code: string;
  /** `https://t.me/<bot>?start=gift_<code>`. */
  link: string;
  planId: number;
  status: 'awaiting-payment' | 'ready' | 'redeemed';
}

/** The outcome of {@link GiftService.redeemGift}. */
export type RedeemResult =
  { kind: 'redeemed'; subscriptionId: number } | { kind: 'refused'; reason: 'unknown' | 'not-paid' | 'already-redeemed' };

/** What the bot calls. */
export interface GiftService {
  /** The user's gifts (bought by them), newest first. */
  giftsOf(userId: number): Promise<GiftView[]>;
  /**
   * Redeems a gift code for `userId` (the bot calls it for /start gift_<code>): the first caller
   * gets the subscription; later ones are refused 'already-redeemed'.
   * @throws database and Temporal client errors (a lost signal is recovered by the orphan sweep)
   */
  redeemGift(userId: number, code: string): Promise<RedeemResult>;
}

/** Builds the gift service. */
export function createGiftService(deps: { db: DatabasePool; client: Client; taskQueue: string; botUsername: string }): GiftService {
  const linkOf = (code: string) => `https://t.me/${deps.botUsername}?start=gift_${code}`;
  return {
    async giftsOf(userId) {
      const rows = await listGiftsOfBuyer(deps.db, userId);
      return rows.map((row) => ({
        code: row.code,
        link: linkOf(row.code),
        planId: row.plan_id,
        status: row.redeemed_at !== null ? 'redeemed' : row.paid_at !== null ? 'ready' : 'awaiting-payment',
      }));
    },
    async redeemGift(userId, code) {
      const actor: Actor = { type: 'user', userId };
      const outcome = await deps.db.transaction(async (tx) => {
        const gift = await lockGiftByCode(tx, code);
        if (gift === null) return { kind: 'refused', reason: 'unknown' } as const;
        if (gift.redeemed_at !== null) return { kind: 'refused', reason: 'already-redeemed' } as const;
        if (gift.paid_at === null) return { kind: 'refused', reason: 'not-paid' } as const;
        const subscription = await createPendingSubscription(tx, { userId, planId: gift.plan_id, actor });
        await markGiftRedeemed(tx, { giftId: gift.id, userId, subscriptionId: subscription.id, paymentId: gift.payment_id, actor });
        return { kind: 'redeemed', subscriptionId: subscription.id, paymentId: gift.payment_id, planId: gift.plan_id } as const;
      });
      if (outcome.kind === 'refused') return outcome;
      const signal: PaymentCompletedSignal = { paymentId: outcome.paymentId };
      await signalWithStartSubscription(
        deps,
        { subscriptionId: outcome.subscriptionId, userId, planId: outcome.planId },
        'paymentCompleted',
        signal,
      );
      return { kind: 'redeemed', subscriptionId: outcome.subscriptionId };
    },
  };
}
