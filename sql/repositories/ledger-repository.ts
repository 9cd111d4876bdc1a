import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { IdempotencyKeyReusedError, InsufficientBalanceError, RecordNotFoundError } from '../../lib/errors';
import { fitsMoneyColumn, formatMoney, parseMoney, type Kopecks } from '../../lib/money';
import { balanceLedgerRow, type BalanceLedgerRow, type LedgerReason, type LedgerSourceTable } from '../schemas/balance-ledger-row';
import { moneyColumn } from '../schemas/columns';
import { writeAuditLog, type Actor } from './audit-repository';

/** One balance movement as callers describe it. */
export interface BalanceChange {
  userId: number;
  /** Magnitude in RUB as decimal text ("249.00"), > 0; the function decides the sign. */
  amount: string;
  reason: LedgerReason;
  /** The row that caused it (a payment, a referral, ...). */
  source?: { table: LedgerSourceTable; id: number } | null;
  /**
   * Unique per movement, derived from its cause (e.g. `payment:<id>:top-up`); a repeat with the same
   * key returns the first result without moving money again.
   */
  idempotencyKey: string;
  actor: Actor;
}

/** What a balance call did. `applied` is false when the idempotency key had already been used. */
export interface BalanceChangeResult {
  applied: boolean;
  entry: BalanceLedgerRow;
}

const balanceOnly = z.object({ balance: moneyColumn });

function magnitude(amount: string): Kopecks {
  const kopecks = parseMoney(amount);
  if (kopecks <= 0n || !fitsMoneyColumn(kopecks)) throw new RangeError('amount must be positive and fit NUMERIC(12,2)');
  return kopecks;
}

/**
 * Moves a user's balance by `delta` kopecks and appends the ledger row, in one transaction, after
 * locking the user row (so the same key or the same user is handled one call at a time). The
 * UPDATE's `balance + delta >= 0` guard makes an overdraft impossible rather than merely checked.
 */
async function applyBalanceChange(connection: CommonQueryMethods, change: BalanceChange, delta: Kopecks): Promise<BalanceChangeResult> {
  return connection.transaction(async (tx) => {
    const locked = await tx.maybeOne(sql.type(balanceOnly)`SELECT balance FROM users WHERE id = ${change.userId} FOR UPDATE`);
    if (locked === null) throw new RecordNotFoundError('user');

    const previous = await tx.maybeOne(sql.type(balanceLedgerRow)`
      SELECT * FROM balance_ledger WHERE idempotency_key = ${change.idempotencyKey}
    `);
    if (previous !== null) {
      const same = previous.user_id === change.userId && parseMoney(previous.amount) === delta && previous.reason === change.reason;
      if (!same) throw new IdempotencyKeyReusedError('balance change');
      return { applied: false, entry: previous };
    }

    const deltaText = formatMoney(delta);
    const updated = await tx.maybeOne(sql.type(balanceOnly)`
      UPDATE users SET balance = balance + ${deltaText}::numeric
      WHERE id = ${change.userId} AND balance + ${deltaText}::numeric >= 0
      RETURNING balance
    `);
    if (updated === null) throw new InsufficientBalanceError();

    const entry = await tx.one(sql.type(balanceLedgerRow)`
      INSERT INTO balance_ledger (user_id, amount, balance_after, reason, source_table, source_id, idempotency_key)
      VALUES (
        ${change.userId}, ${deltaText}::numeric, ${updated.balance}::numeric, ${change.reason},
        ${change.source?.table ?? null}, ${change.source?.id ?? null}, ${change.idempotencyKey}
      )
      RETURNING *
    `);
    await writeAuditLog(tx, {
      actor: change.actor,
      action: delta > 0n ? 'balance.credited' : 'balance.debited',
      entityType: 'balance_ledger',
      entityId: entry.id,
      userId: change.userId,
      details: {
        amount: entry.amount,
        balance_after: entry.balance_after,
        reason: entry.reason,
        source_table: entry.source_table,
        source_id: entry.source_id,
      },
    });
    return { applied: true, entry };
  });
}

/**
 * Adds `amount` to the user's balance (top-up, referral bonus, refund to balance, adjustment).
 *
 * @idempotency change.idempotencyKey
 * @throws RangeError for a malformed, zero or negative amount; RecordNotFoundError (NOT_FOUND) for
 *   an unknown user; IdempotencyKeyReusedError when the key was used for a different movement
 */
export async function creditBalance(connection: CommonQueryMethods, change: BalanceChange): Promise<BalanceChangeResult> {
  return applyBalanceChange(connection, change, magnitude(change.amount));
}

/**
 * Takes `amount` from the user's balance; never below zero.
 *
 * @idempotency change.idempotencyKey
 * @throws InsufficientBalanceError (INSUFFICIENT_BALANCE) when the balance is lower than `amount`
 *   (nothing changes); RangeError, RecordNotFoundError, IdempotencyKeyReusedError as for
 *   {@link creditBalance}
 */
export async function debitBalance(connection: CommonQueryMethods, change: BalanceChange): Promise<BalanceChangeResult> {
  return applyBalanceChange(connection, change, -magnitude(change.amount));
}

/**
 * The user's current balance in RUB as decimal text.
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown user
 */
export async function getBalance(connection: CommonQueryMethods, userId: number): Promise<string> {
  const row = await connection.maybeOne(sql.type(balanceOnly)`SELECT balance FROM users WHERE id = ${userId}`);
  if (row === null) throw new RecordNotFoundError('user');
  return row.balance;
}

/** The sum of the user's ledger rows in RUB as decimal text (equals users.balance at every commit). */
export async function getLedgerSum(connection: CommonQueryMethods, userId: number): Promise<string> {
  return connection.oneFirst(sql.type(balanceOnly)`
    SELECT coalesce(sum(amount), 0)::numeric(12,2) AS balance FROM balance_ledger WHERE user_id = ${userId}
  `);
}

/**
 * The user's ledger, newest first.
 *
 * @param limit most rows returned; default 50
 */
export async function listLedgerEntries(
  connection: CommonQueryMethods,
  input: { userId: number; limit?: number },
): Promise<readonly BalanceLedgerRow[]> {
  return connection.any(sql.type(balanceLedgerRow)`
    SELECT * FROM balance_ledger WHERE user_id = ${input.userId} ORDER BY id DESC LIMIT ${input.limit ?? 50}
  `);
}
