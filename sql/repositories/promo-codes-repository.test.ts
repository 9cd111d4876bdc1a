import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CheckIntegrityConstraintViolationError, UniqueIntegrityConstraintViolationError, sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { createPayment } from './payments-repository';
import { createPromoCode, findUsablePromo, redeemPromo } from './promo-codes-repository';
import { newPayment, newPromoCode, newUser, testActor } from '../../test/support/db-fixtures';

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

  it('finds a usable code in any case; not when inactive, expired, used up or used by this user', async () => {
    const user = await newUser(pool);
    const other = await newUser(pool);
    const promo = await newPromoCode(pool, { percentOff: 15, maxRedemptions: 2 });
    assert.equal((await findUsablePromo(pool, { code: ` ${promo.code.toLowerCase()} `, userId: user.id, now: now() }))?.id, promo.id);
    assert.equal(await findUsablePromo(pool, { code: 'NO-SUCH-CODE', userId: user.id, now: now() }), null);

    const payment = await newPayment(pool, { userId: user.id });
    const redemption = await redeemPromo(pool, {
      promoCodeId: promo.id,
      userId: user.id,
      paymentId: payment.id,
      now: now(),
      actor: testActor,
    });
    assert.ok(redemption);
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.redeemed', entityId: promo.id }), 1);
    assert.equal(await findUsablePromo(pool, { code: promo.code, userId: user.id, now: now() }), null, 'once per user');
    assert.equal((await findUsablePromo(pool, { code: promo.code, userId: other.id, now: now() }))?.id, promo.id);

    // A second redemption by the same user changes nothing.
    const again = await newPayment(pool, { userId: user.id });
    assert.equal(
      await redeemPromo(pool, { promoCodeId: promo.id, userId: user.id, paymentId: again.id, now: now(), actor: testActor }),
      null,
    );
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.redeemed', entityId: promo.id }), 1);

    // Used up: the other user redeems the last one, then nobody can.
    const third = await newUser(pool);
    const otherPayment = await newPayment(pool, { userId: other.id });
    assert.ok(
      await redeemPromo(pool, { promoCodeId: promo.id, userId: other.id, paymentId: otherPayment.id, now: now(), actor: testActor }),
    );
    assert.equal(await findUsablePromo(pool, { code: promo.code, userId: third.id, now: now() }), null, 'used up');
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 2, rows: 2 });

    const expiring = await newPromoCode(pool, { percentOff: 5, expiresAt: new Date(Date.now() + 60_000) });
    assert.ok(await findUsablePromo(pool, { code: expiring.code, userId: third.id, now: now() }));
    assert.equal(
      await findUsablePromo(pool, { code: expiring.code, userId: third.id, now: new Date(Date.now() + 120_000) }),
      null,
      'expired',
    );
    const late = await newPayment(pool, { userId: third.id });
    assert.equal(
      await redeemPromo(pool, {
        promoCodeId: expiring.id,
        userId: third.id,
        paymentId: late.id,
        now: new Date(Date.now() + 120_000),
        actor: testActor,
      }),
      null,
    );

    const inactive = await newPromoCode(pool, { percentOff: 5 });
    await pool.query(sql.unsafe`UPDATE promo_codes SET is_active = false WHERE id = ${inactive.id}`);
    assert.equal(await findUsablePromo(pool, { code: inactive.code, userId: third.id, now: now() }), null, 'inactive');
    assert.equal(
      await redeemPromo(pool, { promoCodeId: inactive.id, userId: third.id, paymentId: late.id, now: now(), actor: testActor }),
      null,
    );
  });

  it('a race for the last redemption has exactly one winner (20 parallel redemptions of a max-1 code)', async () => {
    const promo = await newPromoCode(pool, { percentOff: 50, maxRedemptions: 1 });
    const buyers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const user = await newUser(pool);
        return { userId: user.id, paymentId: (await newPayment(pool, { userId: user.id })).id };
      }),
    );
    const results = await Promise.all(
      buyers.map((buyer) => redeemPromo(pool, { promoCodeId: promo.id, ...buyer, now: now(), actor: testActor })),
    );
    assert.equal(results.filter((result) => result !== null).length, 1);
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.redeemed', entityId: promo.id }), 1);
  });

  it('one user racing with one unlimited code gets it once', async () => {
    const promo = await newPromoCode(pool, { percentOff: 10 });
    const user = await newUser(pool);
    const payments = await Promise.all(Array.from({ length: 5 }, () => newPayment(pool, { userId: user.id })));
    const results = await Promise.all(
      payments.map((payment) =>
        redeemPromo(pool, { promoCodeId: promo.id, userId: user.id, paymentId: payment.id, now: now(), actor: testActor }),
      ),
    );
    assert.equal(results.filter((result) => result !== null).length, 1);
    assert.deepEqual(await redemptionCounts(promo.id), { redeemed: 1, rows: 1 });
  });
});
