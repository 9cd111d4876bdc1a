import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CheckIntegrityConstraintViolationError, sql, type DatabasePool } from 'slonik';
import { AppError, ErrorCode } from '../../lib/errors';
import { formatMoney, parseMoney } from '../../lib/money';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { creditBalance, debitBalance, getBalance, getLedgerSum, listLedgerEntries } from './ledger-repository';
import { newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => db.drop());

const isCode = (code: ErrorCode) => (error: unknown) => error instanceof AppError && error.code === code;
const isConstraint = (constraint: string) => (error: unknown) =>
  error instanceof CheckIntegrityConstraintViolationError && error.constraint === constraint;

let keySeq = 0;
const key = (label: string) => `test:${label}:${(keySeq += 1)}`;

describe('creditBalance / debitBalance', () => {
  it('moves the balance, appends a signed ledger row with balance_after, and audits it', async () => {
    const user = await newUser(pool);
    const credit = await creditBalance(pool, {
      userId: user.id,
      amount: '100.10',
      reason: 'top_up',
      source: null,
      idempotencyKey: key('c'),
      actor: testActor,
    });
    const debit = await debitBalance(pool, {
      userId: user.id,
      amount: '0.20',
      reason: 'subscription_purchase',
      idempotencyKey: key('d'),
      actor: testActor,
    });
    assert.equal(credit.applied, true);
    assert.equal(credit.entry.amount, '100.10');
    assert.equal(debit.entry.amount, '-0.20');
    assert.equal(debit.entry.balance_after, '99.90');
    assert.equal(await getBalance(pool, user.id), '99.90');
    assert.equal(await getLedgerSum(pool, user.id), '99.90');
    assert.equal((await listLedgerEntries(pool, { userId: user.id })).length, 2);
    assert.equal(await countAuditLogs(pool, { action: 'balance.credited', entityId: credit.entry.id }), 1);
    assert.equal(await countAuditLogs(pool, { action: 'balance.debited', entityId: debit.entry.id }), 1);
  });

  it('is idempotent per key: a repeat returns the first row and moves nothing', async () => {
    const user = await newUser(pool);
    const change = { userId: user.id, amount: '50.00', reason: 'top_up' as const, idempotencyKey: key('same'), actor: testActor };
    const first = await creditBalance(pool, change);
    const second = await creditBalance(pool, change);
    assert.equal(second.applied, false);
    assert.equal(second.entry.id, first.entry.id);
    assert.equal(await getBalance(pool, user.id), '50.00');
    await assert.rejects(creditBalance(pool, { ...change, amount: '60.00' }), isCode(ErrorCode.IDEMPOTENCY_KEY_REUSED));
  });

  it('never debits below zero, and leaves no trace when it refuses', async () => {
    const user = await newUser(pool);
    await creditBalance(pool, { userId: user.id, amount: '10.00', reason: 'top_up', idempotencyKey: key('c'), actor: testActor });
    await assert.rejects(
      debitBalance(pool, { userId: user.id, amount: '10.01', reason: 'subscription_purchase', idempotencyKey: key('d'), actor: testActor }),
      isCode(ErrorCode.INSUFFICIENT_BALANCE),
    );
    assert.equal(await getBalance(pool, user.id), '10.00');
    assert.equal((await listLedgerEntries(pool, { userId: user.id })).length, 1);
    const exact = await debitBalance(pool, {
      userId: user.id,
      amount: '10.00',
      reason: 'subscription_purchase',
      idempotencyKey: key('d'),
      actor: testActor,
    });
    assert.equal(exact.entry.balance_after, '0.00');
  });

  it('rejects malformed, zero, negative and float-looking amounts before touching the database', async () => {
    const user = await newUser(pool);
    for (const amount of ['0', '0.00', '-1.00', '1.001', '1e2', 'NaN']) {
      await assert.rejects(
        creditBalance(pool, { userId: user.id, amount, reason: 'top_up', idempotencyKey: key('bad'), actor: testActor }),
        RangeError,
        amount,
      );
    }
    await assert.rejects(
      creditBalance(pool, { userId: 99_999_999, amount: '1.00', reason: 'top_up', idempotencyKey: key('nouser'), actor: testActor }),
      isCode(ErrorCode.NOT_FOUND),
    );
  });

  it('keeps 20 concurrent debits of 10.00 from 100.00 to exactly 10 successes and a zero balance', async () => {
    const user = await newUser(pool);
    await creditBalance(pool, { userId: user.id, amount: '100.00', reason: 'top_up', idempotencyKey: key('c'), actor: testActor });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        debitBalance(pool, {
          userId: user.id,
          amount: '10.00',
          reason: 'subscription_purchase',
          idempotencyKey: key(`p${index}`),
          actor: testActor,
        }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
    assert.ok(results.filter((r) => r.status === 'rejected').every((r) => isCode(ErrorCode.INSUFFICIENT_BALANCE)(r.reason)));
    assert.equal(await getBalance(pool, user.id), '0.00');
  });
});

describe('the ledger identity: users.balance = sum(balance_ledger.amount)', () => {
  it('holds after random sequences of credits and debits, matching an exact bigint model (property)', async () => {
    const operation = fc.record({
      credit: fc.boolean(),
      kopecks: fc.bigInt({ min: 1n, max: 5_000_00n }),
      reason: fc.constantFrom('top_up', 'referral_bonus', 'refund', 'operator_adjustment'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
        const user = await newUser(pool);
        let model = 0n;
        for (const op of operations) {
          const amount = formatMoney(op.kopecks);
          if (op.credit) {
            await creditBalance(pool, {
              userId: user.id,
              amount,
              reason: op.reason as 'top_up',
              idempotencyKey: key('p'),
              actor: testActor,
            });
            model += op.kopecks;
          } else if (op.kopecks <= model) {
            await debitBalance(pool, {
              userId: user.id,
              amount,
              reason: 'subscription_purchase',
              idempotencyKey: key('p'),
              actor: testActor,
            });
            model -= op.kopecks;
          } else {
            await assert.rejects(
              debitBalance(pool, { userId: user.id, amount, reason: 'subscription_purchase', idempotencyKey: key('p'), actor: testActor }),
              isCode(ErrorCode.INSUFFICIENT_BALANCE),
            );
          }
        }
        const balance = await getBalance(pool, user.id);
        assert.equal(parseMoney(balance), model);
        assert.equal(await getLedgerSum(pool, user.id), balance);
        const entries = await listLedgerEntries(pool, { userId: user.id, limit: 100 });
        if (entries[0] !== undefined) assert.equal(entries[0].balance_after, balance);
      }),
      { numRuns: 25 },
    );
  });

  it('catches a direct UPDATE of users.balance that breaks it, at commit, and keeps the old balance', async () => {
    const user = await newUser(pool);
    await creditBalance(pool, { userId: user.id, amount: '5.00', reason: 'top_up', idempotencyKey: key('c'), actor: testActor });
    await assert.rejects(
      pool.query(sql.unsafe`UPDATE users SET balance = balance + 100 WHERE id = ${user.id}`),
      isConstraint('users_balance_matches_ledger'),
    );
    await assert.rejects(
      pool.transaction(async (tx) => {
        await tx.query(sql.unsafe`UPDATE users SET balance = 0 WHERE id = ${user.id}`);
      }),
      isConstraint('users_balance_matches_ledger'),
    );
    assert.equal(await getBalance(pool, user.id), '5.00');
  });

  it('catches a ledger row written without moving the balance', async () => {
    const user = await newUser(pool);
    await assert.rejects(
      pool.query(sql.unsafe`
        INSERT INTO balance_ledger (user_id, amount, balance_after, reason, idempotency_key)
        VALUES (${user.id}, 1, 1, 'top_up', ${key('orphan')})
      `),
      isConstraint('users_balance_matches_ledger'),
    );
  });

  it('accepts a hand-written change when both halves land in one transaction (the check is deferred)', async () => {
    const user = await newUser(pool);
    await pool.transaction(async (tx) => {
      await tx.query(sql.unsafe`UPDATE users SET balance = balance + 7.77 WHERE id = ${user.id}`);
      await tx.query(sql.unsafe`
        INSERT INTO balance_ledger (user_id, amount, balance_after, reason, idempotency_key)
        VALUES (${user.id}, 7.77, 7.77, 'operator_adjustment', ${key('manual')})
      `);
    });
    assert.equal(await getBalance(pool, user.id), '7.77');
  });

  it('rejects UPDATE, DELETE and TRUNCATE of the ledger (append-only)', async () => {
    const user = await newUser(pool);
    const { entry } = await creditBalance(pool, {
      userId: user.id,
      amount: '3.00',
      reason: 'top_up',
      idempotencyKey: key('c'),
      actor: testActor,
    });
    const appendOnly = isConstraint('balance_ledger_append_only');
    await assert.rejects(pool.query(sql.unsafe`UPDATE balance_ledger SET amount = 300 WHERE id = ${entry.id}`), appendOnly);
    await assert.rejects(pool.query(sql.unsafe`DELETE FROM balance_ledger WHERE id = ${entry.id}`), appendOnly);
    await assert.rejects(pool.query(sql.unsafe`TRUNCATE balance_ledger`), appendOnly);
    assert.equal((await listLedgerEntries(pool, { userId: user.id })).length, 1);
  });

  it('sums decimal amounts exactly in Postgres and TypeScript (0.10 + 0.20 = 0.30)', async () => {
    const user = await newUser(pool);
    await creditBalance(pool, { userId: user.id, amount: '0.10', reason: 'top_up', idempotencyKey: key('a'), actor: testActor });
    await creditBalance(pool, { userId: user.id, amount: '0.20', reason: 'top_up', idempotencyKey: key('b'), actor: testActor });
    assert.equal(await getBalance(pool, user.id), '0.30');
    assert.equal(await getLedgerSum(pool, user.id), '0.30');
  });
});
