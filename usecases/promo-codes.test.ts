/**
 * Promo codes kept in the database and reserved until paid: applyPromo stores the code for the
 * user; an order reserves one use (a second order, another method pressed, keeps it), the payment's
 * completion consumes it, a cancelled or failed order releases it. Percent and fixed-amount codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CheckIntegrityConstraintViolationError, sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createPayment, markPaymentCancelled, markPaymentCompleted, markPaymentFailed } from '../sql/repositories/payments-repository';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { createPromoCode, findUsablePromo, reservePromo } from '../sql/repositories/promo-codes-repository';
import { newPromoCode, newUser, testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createPromoService, discountedKopecks, type PromoService } from './promo-codes';

let db: TestDatabase;
let pool: DatabasePool;
let promos: PromoService;
const now = () => new Date();

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
  promos = createPromoService({ db: pool });
});
after(async () => db.drop());

const state = z.object({ redeemed: z.number(), rows: z.number(), statuses: z.array(z.string()).nullable() });
async function stateOf(promoCodeId: number) {
  return pool.one(sql.type(state)`
    SELECT (SELECT redeemed_count FROM promo_codes WHERE id = ${promoCodeId}) AS redeemed,
           (SELECT count(*)::int FROM promo_redemptions WHERE promo_code_id = ${promoCodeId}) AS rows,
           (SELECT array_agg(status ORDER BY id) FROM promo_redemptions WHERE promo_code_id = ${promoCodeId}) AS statuses
  `);
}

/** An order with the code, as startPurchase creates it: the payment and its reservation in one transaction. */
async function order(userId: number, promoCodeId: number, amount = '199.00') {
  return pool.transaction(async (tx) => {
    const { payment } = await createPayment(tx, {
      userId,
      subscriptionId: null,
      amount,
      method: 'card',
      provider: 'yookassa',
      promo: { promoCodeId, listPrice: '249.00' },
      actor: testActor,
    });
    const reserved = await reservePromo(tx, { promoCodeId, userId, paymentId: payment.id, now: now(), actor: testActor });
    return { payment, reserved };
  });
}

describe('promo codes until paid', () => {
  it('applyPromo stores the code in the database: pendingPromo finds it (in any process) until it is paid with', async () => {
    const user = await newUser(pool);
    const code = await newPromoCode(pool, { percentOff: 20 });
    assert.deepEqual(await promos.applyPromo(user.id, ` ${code.code.toLowerCase()} `), {
      kind: 'applied',
      promo: { code: code.code, percentOff: 20, amountOffKopecks: null },
    });
    assert.deepEqual(
      await createPromoService({ db: pool }).pendingPromo(user.id),
      { code: code.code, percentOff: 20, amountOffKopecks: null },
      'a new service (a restarted bot) still knows it',
    );
    assert.deepEqual(await promos.applyPromo(user.id, 'NO-SUCH'), { kind: 'invalid' });

    const { payment } = await order(user.id, code.id);
    assert.ok(await promos.pendingPromo(user.id), 'still shown while the order is open');
    await markPaymentCompleted(pool, { paymentId: payment.id, actor: testActor });
    assert.equal(await promos.pendingPromo(user.id), null, 'gone once paid');
    assert.deepEqual(await stateOf(code.id), { redeemed: 1, rows: 1, statuses: ['consumed'] });
    assert.equal(await findUsablePromo(pool, { code: code.code, userId: user.id, now: now() }), null, 'once per user');
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.consumed', entityId: code.id }), 1);
  });

  it('reserves at the order, keeps the discount for a second order (another method), releases when the last open one is cancelled', async () => {
    const user = await newUser(pool);
    const code = await newPromoCode(pool, { percentOff: 20, maxRedemptions: 1 });
    const first = await order(user.id, code.id);
    assert.equal(first.reserved?.status, 'reserved');
    assert.deepEqual(await stateOf(code.id), { redeemed: 1, rows: 1, statuses: ['reserved'] });
    assert.equal(
      await findUsablePromo(pool, { code: code.code, userId: (await newUser(pool)).id, now: now() }),
      null,
      'the last use is held for this user',
    );
    assert.ok(await findUsablePromo(pool, { code: code.code, userId: user.id, now: now() }), 'the user holding it may still use it');

    const second = await order(user.id, code.id);
    assert.ok(second.reserved, 'pressing another method keeps the discount');
    assert.equal(second.reserved.payment_id, second.payment.id);
    assert.deepEqual(await stateOf(code.id), { redeemed: 1, rows: 1, statuses: ['reserved'] });

    await markPaymentCancelled(pool, { paymentId: first.payment.id, actor: testActor });
    assert.deepEqual(await stateOf(code.id), { redeemed: 1, rows: 1, statuses: ['reserved'] }, 'the other open order still holds it');
    await markPaymentCancelled(pool, { paymentId: second.payment.id, actor: testActor, reason: 'timeout' });
    assert.deepEqual(await stateOf(code.id), { redeemed: 0, rows: 0, statuses: null }, 'an abandoned checkout does not burn the code');
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.released', entityId: code.id }), 1);
    assert.ok(await findUsablePromo(pool, { code: code.code, userId: user.id, now: now() }), 'usable again');

    // A late success of a cancelled order consumes a use again (the money is in).
    await markPaymentCompleted(pool, { paymentId: second.payment.id, actor: testActor });
    assert.deepEqual(await stateOf(code.id), { redeemed: 1, rows: 1, statuses: ['consumed'] });
  });

  it('a failed order releases too; a fixed-amount code takes kopecks off, never below one kopeck', async () => {
    const user = await newUser(pool);
    const fixed = await createPromoCode(pool, { code: `FIX${user.id}`, amountOff: '100.00', actor: testActor });
    assert.deepEqual([fixed.percent_off, fixed.amount_off], [null, '100.00']);
    assert.equal(discountedKopecks(24900n, fixed), 14900n);
    assert.equal(discountedKopecks(9900n, fixed), 1n);
    assert.equal(discountedKopecks(24900n, { percent_off: 20, amount_off: null }), 19920n);
    const { payment } = await order(user.id, fixed.id, '149.00');
    await markPaymentFailed(pool, { paymentId: payment.id, actor: testActor, reason: 'declined' });
    assert.deepEqual(await stateOf(fixed.id), { redeemed: 0, rows: 0, statuses: null });
    await assert.rejects(
      pool.query(sql.unsafe`INSERT INTO promo_codes (code, percent_off, amount_off) VALUES ('BOTHKINDS', 10, 5)`),
      (error: unknown) => error instanceof CheckIntegrityConstraintViolationError && error.constraint === 'promo_codes_one_kind',
    );
  });
});
