import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabasePool } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { getBalance, listLedgerEntries } from './ledger-repository';
import { cancelReferral, creditReferralBonus, getReferralByReferredId, registerReferral } from './referrals-repository';
import { newPayment, newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => db.drop());

describe('referrals', () => {
  it('registers a referral once per referred user, whoever claims it later', async () => {
    const [a, b, c] = [await newUser(pool), await newUser(pool), await newUser(pool)];
    const first = await registerReferral(pool, { referrerId: a.id, referredId: c.id, actor: testActor });
    const second = await registerReferral(pool, { referrerId: b.id, referredId: c.id, actor: testActor });
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.referral.referrer_id, a.id);
  });

  it('credits the bonus to the referrer once per referred user, through the ledger, even when called 20 times at once', async () => {
    const referrer = await newUser(pool);
    const referred = await newUser(pool, { referralCode: referrer.referral_code });
    const payment = await newPayment(pool, { userId: referred.id, completed: true });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        creditReferralBonus(pool, { referredId: referred.id, bonusAmount: '50.00', sourcePaymentId: payment.id, actor: testActor }),
      ),
    );
    assert.equal(results.filter((r) => r.credited).length, 1);
    assert.equal(await getBalance(pool, referrer.id), '50.00');
    const [entry] = await listLedgerEntries(pool, { userId: referrer.id });
    assert.equal(entry?.reason, 'referral_bonus');
    assert.equal(entry?.source_table, 'referrals');
    const referral = await getReferralByReferredId(pool, referred.id);
    assert.equal(referral?.status, 'paid');
    assert.equal(referral?.bonus_amount, '50.00');
    assert.equal(referral?.source_payment_id, payment.id);
    assert.ok(referral?.paid_at instanceof Date);
    assert.equal(await countAuditLogs(pool, { action: 'referral.bonus_paid', entityId: referral?.id ?? 0 }), 1);
  });

  it('credits nothing for a user who came without a link, or whose referral was cancelled', async () => {
    const loner = await newUser(pool);
    assert.deepEqual(
      await creditReferralBonus(pool, { referredId: loner.id, bonusAmount: '50.00', sourcePaymentId: null, actor: testActor }),
      {
        credited: false,
        referral: null,
      },
    );
    const referrer = await newUser(pool);
    const referred = await newUser(pool, { referralCode: referrer.referral_code });
    assert.equal((await cancelReferral(pool, { referredId: referred.id, actor: testActor })).cancelled, true);
    const result = await creditReferralBonus(pool, {
      referredId: referred.id,
      bonusAmount: '50.00',
      sourcePaymentId: null,
      actor: testActor,
    });
    assert.equal(result.credited, false);
    assert.equal(await getBalance(pool, referrer.id), '0.00');
  });

  it('marks a zero bonus paid without a ledger row, and refuses a negative one', async () => {
    const referrer = await newUser(pool);
    const referred = await newUser(pool, { referralCode: referrer.referral_code });
    const result = await creditReferralBonus(pool, { referredId: referred.id, bonusAmount: '0', sourcePaymentId: null, actor: testActor });
    assert.equal(result.credited, true);
    assert.equal((await listLedgerEntries(pool, { userId: referrer.id })).length, 0);
    await assert.rejects(
      creditReferralBonus(pool, { referredId: referred.id, bonusAmount: '-1.00', sourcePaymentId: null, actor: testActor }),
      RangeError,
    );
  });
});
