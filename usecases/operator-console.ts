/**
 * The operator console's reads and small writes (bot /admin): find a user, their card, a balance
 * adjustment through the ledger, the key to resend, promo codes. Changes to a subscription go
 * through the operator actions (operator-actions.ts), never here.
 */
import { UniqueIntegrityConstraintViolationError, CheckIntegrityConstraintViolationError } from 'slonik';
import type { DatabasePool } from '../lib/db/create-pool';
import { InsufficientBalanceError, RecordNotFoundError } from '../lib/errors';
import { formatMoney, parseMoney, type Kopecks } from '../lib/money';
import { writeAuditLog } from '../sql/repositories/audit-repository';
import { creditBalance, debitBalance } from '../sql/repositories/ledger-repository';
import {
  disablePromoCode,
  listPromoCodes,
  listUserAudit,
  listUserLedger,
  listUserPayments,
  searchUsers,
  trafficByServer,
  userReferrals,
  type CardAuditEntry,
  type CardLedgerEntry,
  type CardPayment,
  type PromoUsage,
  type UserMatch,
} from '../sql/repositories/operator-console-repository';
import { createPromoCode } from '../sql/repositories/promo-codes-repository';
import { getSubscription, listUserSubscriptions } from '../sql/repositories/subscriptions-repository';
import { getUserById } from '../sql/repositories/users-repository';

export type { CardAuditEntry, CardLedgerEntry, CardPayment, PromoUsage, UserMatch };

/** A user found by a search. */
export interface FoundUser {
  userId: number;
  telegramId: number;
  username: string | null;
  matched: UserMatch;
}

/** One subscription on the card. */
export interface CardSubscription {
  id: number;
  status: string;
  planId: number | null;
  serverId: number | null;
  endsAt: Date | null;
}

/** Everything the user card shows. No key, token or secret. */
export interface UserCard {
  userId: number;
  telegramId: number;
  username: string | null;
  firstName: string | null;
  languageCode: string | null;
  createdAt: Date;
  balanceKopecks: Kopecks;
  autoRenew: boolean;
  trialUsed: boolean;
  subscriptions: CardSubscription[];
  payments: readonly CardPayment[];
  ledger: readonly CardLedgerEntry[];
  referrals: { invited: number; paid: number; referredByTelegramId: number | null };
  audit: readonly CardAuditEntry[];
}

/** A new promo code as the operator types it. */
export interface NewPromoInput {
  code: string;
  /** Exactly one of percentOff and amountOffKopecks. */
  percentOff?: number | undefined;
  amountOffKopecks?: Kopecks | undefined;
  maxRedemptions?: number | null | undefined;
  expiresAt?: Date | null | undefined;
  operatorTelegramId: number;
}

/** The operator console use cases. */
export interface OperatorConsole {
  findUsers(query: string): Promise<FoundUser[]>;
  userCard(userId: number): Promise<UserCard | null>;
  /**
   * Moves the balance by `amountKopecks` (positive credits, negative debits) as an
   * `operator_adjustment` ledger row, with the operator's reason in the audit log.
   * @idempotency requestId (a redelivered update moves money once)
   */
  adjustBalance(input: {
    userId: number;
    amountKopecks: Kopecks;
    reason: string;
    operatorTelegramId: number;
    requestId: string;
  }): Promise<{ ok: true; balanceKopecks: Kopecks } | { ok: false; reason: 'insufficient-balance' | 'no-user' }>;
  /** What a key message needs: whom to send it and the key; null without a provisioned key. */
  keyToResend(
    subscriptionId: number,
  ): Promise<{ userId: number; telegramId: number; languageCode: string | null; vpnKey: string; subToken: string } | null>;
  listPromos(): Promise<readonly PromoUsage[]>;
  createPromo(input: NewPromoInput): Promise<{ ok: true; promo: PromoUsage } | { ok: false; reason: 'exists' | 'invalid' }>;
  disablePromo(input: { promoCodeId: number; operatorTelegramId: number }): Promise<boolean>;
  /**
   * Audits an operator action that changes nothing in the database itself (a key resent, a backup
   * started), with the operator as actor.
   */
  recordOperatorAction(input: {
    action: 'subscription.key_resent' | 'backup.requested';
    operatorTelegramId: number;
    subscriptionId?: number;
    userId?: number;
  }): Promise<void>;
  /** Bytes used this period by the active subscriptions on each server. */
  serverTraffic(): Promise<Map<number, number>>;
}

/** Builds the operator console use cases on the database. */
export function createOperatorConsole(deps: { db: DatabasePool }): OperatorConsole {
  const { db } = deps;
  return {
    async findUsers(query) {
      const found = await searchUsers(db, query);
      const users = await Promise.all(found.map(async (match) => ({ match, user: await getUserById(db, match.userId) })));
      return users.flatMap(({ match, user }) =>
        user === null ? [] : [{ userId: user.id, telegramId: user.telegram_id, username: user.username, matched: match.matched }],
      );
    },

    async userCard(userId) {
      const user = await getUserById(db, userId);
      if (user === null) return null;
      const [subscriptions, payments, ledger, referrals, audit] = await Promise.all([
        listUserSubscriptions(db, userId),
        listUserPayments(db, userId),
        listUserLedger(db, userId),
        userReferrals(db, userId),
        listUserAudit(db, userId),
      ]);
      return {
        userId: user.id,
        telegramId: user.telegram_id,
        username: user.username,
        firstName: user.first_name,
        languageCode: user.language_code,
        createdAt: user.created_at,
        balanceKopecks: parseMoney(user.balance),
        autoRenew: user.auto_renew,
        trialUsed: user.trial_used_at !== null,
        subscriptions: subscriptions.map((row) => ({
          id: row.id,
          status: row.status,
          planId: row.plan_id,
          serverId: row.server_id,
          endsAt: row.end_date,
        })),
        payments,
        ledger,
        referrals,
        audit,
      };
    },

    async adjustBalance(input) {
      const actor = { type: 'operator' as const, telegramId: input.operatorTelegramId };
      const change = {
        userId: input.userId,
        amount: formatMoney(input.amountKopecks < 0n ? -input.amountKopecks : input.amountKopecks),
        reason: 'operator_adjustment' as const,
        idempotencyKey: `operator:${input.requestId}:balance`,
        actor,
      };
      try {
        const result = await db.transaction(async (tx) => {
          const moved = input.amountKopecks > 0n ? await creditBalance(tx, change) : await debitBalance(tx, change);
          if (moved.applied) {
            await writeAuditLog(tx, {
              actor,
              action: 'balance.adjusted',
              entityType: 'balance_ledger',
              entityId: Number(moved.entry.id),
              userId: input.userId,
              details: { amount: moved.entry.amount, reason_text: input.reason.slice(0, 500) },
            });
          }
          return moved;
        });
        return { ok: true, balanceKopecks: parseMoney(result.entry.balance_after) };
      } catch (error) {
        if (error instanceof InsufficientBalanceError) return { ok: false, reason: 'insufficient-balance' };
        if (error instanceof RecordNotFoundError) return { ok: false, reason: 'no-user' };
        throw error;
      }
    },

    async keyToResend(subscriptionId) {
      const subscription = await getSubscription(db, subscriptionId);
      if (subscription === null || subscription.vpn_key === null || subscription.status !== 'active') return null;
      const user = await getUserById(db, subscription.user_id);
      if (user === null) return null;
      return {
        userId: user.id,
        telegramId: user.telegram_id,
        languageCode: user.language_code,
        vpnKey: subscription.vpn_key,
        subToken: subscription.sub_token,
      };
    },

    listPromos: () => listPromoCodes(db),

    async createPromo(input) {
      const hasPercent = input.percentOff !== undefined;
      const hasAmount = input.amountOffKopecks !== undefined;
      if (hasPercent === hasAmount) return { ok: false, reason: 'invalid' };
      try {
        const created = await createPromoCode(db, {
          code: input.code,
          percentOff: input.percentOff ?? null,
          amountOff: input.amountOffKopecks === undefined ? null : formatMoney(input.amountOffKopecks),
          maxRedemptions: input.maxRedemptions ?? null,
          expiresAt: input.expiresAt ?? null,
          actor: { type: 'operator', telegramId: input.operatorTelegramId },
        });
        return { ok: true, promo: { ...created, reserved: 0 } };
      } catch (error) {
        if (error instanceof UniqueIntegrityConstraintViolationError) return { ok: false, reason: 'exists' };
        if (error instanceof CheckIntegrityConstraintViolationError) return { ok: false, reason: 'invalid' };
        throw error;
      }
    },

    serverTraffic: () => trafficByServer(db),

    async recordOperatorAction(input) {
      await writeAuditLog(db, {
        actor: { type: 'operator', telegramId: input.operatorTelegramId },
        action: input.action,
        // A backup concerns no row: the Schedule is named in the details, the entity id is 0.
        entityType: input.subscriptionId === undefined ? 'schedule' : 'subscription',
        entityId: input.subscriptionId ?? 0,
        userId: input.userId ?? null,
        details: input.subscriptionId === undefined ? { schedule: 'database-backup' } : {},
      });
    },

    disablePromo: ({ promoCodeId, operatorTelegramId }) =>
      disablePromoCode(db, { promoCodeId, actor: { type: 'operator', telegramId: operatorTelegramId } }),
  };
}
