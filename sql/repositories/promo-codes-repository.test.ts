import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckIntegrityConstraintViolationError, UniqueIntegrityConstraintViolationError, sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { createPayment, markPaymentCompleted } from './payments-repository';
import { consumePromoOfPayment, createPromoCode, findUsablePromo, reservePromo } from './promo-codes-repository';
import type { PaymentRow } from '../schemas/payment-row';
import { newPromoCode, newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;
const now = () => new Date();

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => db.drop());

const counts = z.object({ redeemed: z.number(), rows: z.number() });
async function redemptionCounts(promoCodeId: number) {
  return pool.one(sql.type(counts)`
    SELECT (SELECT redeemed_count FROM promo_codes WHERE id = ${promoCodeId}) AS redeemed,
           (SELECT count(*)::int FROM promo_redemptions WHERE promo_code_id = ${promoCodeId}) AS rows
  `);
}

/** A pending order of the user's with the code on it, as startPurchase creates it. */
async function promoOrder(userId: number, promoCodeId: number): Promise<PaymentRow> {
  const { payment } = await createPayment(pool, {
    userId,
    subscriptionId: null,
    amount: '200.00',
    method: 'card',
    provider: 'yookassa',
    promo: { promoCodeId, listPrice: '249.00' },
    actor: testActor,
  });
  return payment;
}

function reserve(promoCodeId: number, userId: number, paymentId: number, at = now()) {
  return reservePromo(pool, { promoCodeId, userId, paymentId, now: at, actor: testActor });
}

const redemption = z.object({ status: z.string(), payment_id: z.number() });
async function redemptionOf(promoCodeId: number, userId: number) {
  return pool.maybeOne(sql.type(redemption)`
    SELECT status, payment_id FROM promo_redemptions WHERE promo_code_id = ${promoCodeId} AND user_id = ${userId}
  `);
}

describe('promo codes repository', () => {
  it('creates codes upper-cased, unique in any case, and audits the creation', async () => {
    const promo = await createPromoCode(pool, { code: 'spring-Sale1', percentOff: 20, actor: testActor });
    assert.deepEqual(
      [promo.code, promo.percent_off, promo.max_redemptions, promo.redeemed_count, promo.is_active],
      ['SPRING-SALE1', 20, null, 0, true],
    );
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.created', entityId: promo.id }), 1);
    await assert.rejects(
      createPromoCode(pool, { code: 'SPRING-sale1', percentOff: 5, actor: testActor }),
      UniqueIntegrityConstraintViolationError,
    );
  });

  it('enforces the constraints: lower case, format, percent 1..100, max > 0, count within 0..max', async () => {
    const checks: [string, string][] = [
      [`INSERT INTO promo_codes (code, percent_off) VALUES ('lower', 10)`, 'promo_codes_code_upper'],
      [`INSERT INTO promo_codes (code, percent_off) VALUES ('A B C', 10)`, 'promo_codes_code_format'],
      [`INSERT INTO promo_codes (code, percent_off) VALUES ('ZERO0', 0)`, 'promo_codes_percent_off_range'],
      [`INSERT INTO promo_codes (code, percent_off) VALUES ('OVER0', 101)`, 'promo_codes_percent_off_range'],
      [`INSERT INTO promo_codes (code, percent_off, max_redemptions) VALUES ('MAX00', 10, 0)`, 'promo_codes_max_redemptions_positive'],
      [
        `INSERT INTO promo_codes (code, percent_off, max_redemptions, redeemed_count) VALUES ('FULL0', 10, 1, 2)`,
        'promo_codes_redeemed_count_range',
      ],
      [`INSERT INTO promo_codes (code, percent_off, redeemed_count) VALUES ('NEG00', 10, -1)`, 'promo_codes_redeemed_count_range'],
    ];
    for (const [statement, constraint] of checks) {
      const strings = Object.freeze(Object.assign([statement], { raw: Object.freeze([statement]) }));
      await assert.rejects(pool.query(sql.unsafe(strings as unknown as TemplateStringsArray)), (error: unknown) => {
        assert.ok(error instanceof CheckIntegrityConstraintViolationError, statement);
        assert.equal(error.constraint, constraint, statement);
        return true;
      });
    }
    // payments: list_price only with a promo code, and amount never above it.
    const user = await newUser(pool);
    const promo = await newPromoCode(pool, { percentOff: 10 });
    const base = { userId: user.id, subscriptionId: null, method: 'card', provider: 'yookassa', actor: testActor } as const;
    await assert.rejects(
      createPayment(pool, { ...base, amount: '300.00', promo: { promoCodeId: promo.id, listPrice: '249.00' } }),
      (error: unknown) => {
        assert.ok(error instanceof CheckIntegrityConstraintViolationError);
        assert.equal(error.constraint, 'payments_amount_within_list_price');
        return true;
      },
    );
    const { payment } = await createPayment(pool, { ...base, amount: '224.10', promo: { promoCodeId: promo.id, listPrice: '249' } });
    assert.deepEqual([payment.amount, payment.list_price, payment.promo_code_id], ['224.10', '249.00', promo.id]);
    await assert.rejects(pool.query(sql.unsafe`UPDATE payments SET promo_code_id = NULL WHERE id = ${payment.id}`), (error: unknown) => {
      assert.ok(error instanceof CheckIntegrityConstraintViolationError);
      assert.equal(error.constraint, 'payments_list_price_with_promo');
      return true;
    });
  });

  it('finds a usable code in any case; not when inactive, expired, used up or paid with by this user', async () => {
    const user = await newUser(pool);
    const other = await newUser(pool);
    const promo = await newPromoCode(pool, { percentOff: 15, maxRedemptions: 2 });
    assert.equal((await findUsablePromo(pool, { code: ` ${promo.code.toLowerCase()} `, userId: user.id, now: now() }))?.id, promo.id);
    assert.equal(await findUsablePromo(pool, { code: 'NO-SUCH-CODE', userId: user.id, now: now() }), null);

    // An open order reserves one use; the code stays the user's (another order may take it) until paid.
    const order = await promoOrder(user.id, promo.id);
    const reserved = await reserve(promo.id, user.id, order.id);
    assert.equal(reserved?.status, 'reserved');
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.reserved', entityId: promo.id }), 1);
    assert.equal((await findUsablePromo(pool, { code: promo.code, userId: user.id, now: now() }))?.id, promo.id, 'reserved by them');
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });

    // Paying consumes it: once per user.
    await markPaymentCompleted(pool, { paymentId: order.id, actor: testActor });
    assert.deepEqual(await redemptionOf(promo.id, user.id), { status: 'consumed', payment_id: order.id });
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.consumed', entityId: promo.id }), 1);
    assert.equal(await findUsablePromo(pool, { code: promo.code, userId: user.id, now: now() }), null, 'once per user');
    assert.equal((await findUsablePromo(pool, { code: promo.code, userId: other.id, now: now() }))?.id, promo.id);

    // A second order by the same user cannot reserve it again, and consuming again changes nothing.
    const again = await promoOrder(user.id, promo.id);
    assert.equal(await reserve(promo.id, user.id, again.id), null);
    assert.deepEqual(await consumePromoOfPayment(pool, { paymentId: order.id, userId: user.id, promoCodeId: promo.id, actor: testActor }), {
      consumed: true,
    });
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.reserved', entityId: promo.id }), 1);
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.consumed', entityId: promo.id }), 1);

    // Used up: the other user reserves the last use, then nobody else can (even before it is paid).
    const third = await newUser(pool);
    const otherOrder = await promoOrder(other.id, promo.id);
    assert.ok(await reserve(promo.id, other.id, otherOrder.id));
    assert.equal(await findUsablePromo(pool, { code: promo.code, userId: third.id, now: now() }), null, 'used up');
    assert.equal(await reserve(promo.id, third.id, (await promoOrder(third.id, promo.id)).id), null);
    await markPaymentCompleted(pool, { paymentId: otherOrder.id, actor: testActor });
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 2, rows: 2 });

    const expiring = await newPromoCode(pool, { percentOff: 5, expiresAt: new Date(Date.now() + 60_000) });
    assert.ok(await findUsablePromo(pool, { code: expiring.code, userId: third.id, now: now() }));
    assert.equal(
      await findUsablePromo(pool, { code: expiring.code, userId: third.id, now: new Date(Date.now() + 120_000) }),
      null,
      'expired',
    );
    const late = await promoOrder(third.id, expiring.id);
    assert.equal(await reserve(expiring.id, third.id, late.id, new Date(Date.now() + 120_000)), null);
    assert.deepEqual(await redemptionCounts(expiring.id), { redeemed: 0, rows: 0 });

    const inactive = await newPromoCode(pool, { percentOff: 5 });
    await pool.query(sql.unsafe`UPDATE promo_codes SET is_active = false WHERE id = ${inactive.id}`);
    assert.equal(await findUsablePromo(pool, { code: inactive.code, userId: third.id, now: now() }), null, 'inactive');
    assert.equal(await reserve(inactive.id, third.id, (await promoOrder(third.id, inactive.id)).id), null);
    assert.deepEqual(await redemptionCounts(inactive.id), { redeemed: 0, rows: 0 });
  });

  it('a race for the last use has exactly one winner (20 parallel reservations of a max-1 code)', async () => {
    const promo = await newPromoCode(pool, { percentOff: 50, maxRedemptions: 1 });
    const buyers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const user = await newUser(pool);
        return { userId: user.id, paymentId: (await promoOrder(user.id, promo.id)).id };
      }),
    );
    const results = await Promise.all(buyers.map((buyer) => reserve(promo.id, buyer.userId, buyer.paymentId)));
    const winners = results.filter((result) => result !== null);
    assert.equal(winners.length, 1);
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.reserved', entityId: promo.id }), 1);

    // The winner pays: still one use, now consumed.
    await markPaymentCompleted(pool, { paymentId: winners[0]!.payment_id, actor: testActor });
    assert.deepEqual(await redemptionOf(promo.id, winners[0]!.user_id), { status: 'consumed', payment_id: winners[0]!.payment_id });
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
  });

  it('one user racing with one unlimited code holds one use, and paying two orders consumes it once', async () => {
    const promo = await newPromoCode(pool, { percentOff: 10 });
    const user = await newUser(pool);
    const orders = await Promise.all(Array.from({ length: 5 }, () => promoOrder(user.id, promo.id)));
    const results = await Promise.all(orders.map((order) => reserve(promo.id, user.id, order.id)));
    // Every order gets the discount, through one reservation that moves to the latest of them.
    assert.ok(results.every((result) => result !== null));
    assert.equal(new Set(results.map((result) => result?.id)).size, 1);
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });

    // Two of them are paid (the money is in either way): the code counts one use, consumed by the first.
    const [first, second] = orders as [PaymentRow, PaymentRow];
    await markPaymentCompleted(pool, { paymentId: first.id, actor: testActor });
    await markPaymentCompleted(pool, { paymentId: second.id, actor: testActor });
    assert.deepEqual(await redemptionOf(promo.id, user.id), { status: 'consumed', payment_id: first.id });
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
    assert.equal(await reserve(promo.id, user.id, (await promoOrder(user.id, promo.id)).id), null, 'once per user');
  });
});
