import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createLogger } from '../lib/logger';
import { creditBalance, debitBalance, getBalance, getLedgerSum, listLedgerEntries } from '../sql/repositories/ledger-repository';
import { createPayment, getPayment, getPaymentByIdempotencyKey, markPaymentCompleted } from '../sql/repositories/payments-repository';
import { getReferralByReferredId } from '../sql/repositories/referrals-repository';
import { createPendingSubscription } from '../sql/repositories/subscriptions-repository';
import { newActiveSubscription, newPayment, newUser, testActor } from '../test/support/db-fixtures';
import { setAutoRenew, setUserLanguage } from '../sql/repositories/users-repository';
import { createLifecycleActivities } from './lifecycle-activities';
import type { LifecycleActor } from './contracts/lifecycle-activities';
import { DAY_MS, failureOf, startLifecycleTestKit, type LifecycleTestKit } from '../test/support/lifecycle-test-kit';
import { createTelegramSender } from './telegram-sender';

let kit: LifecycleTestKit;
before(async () => {
  kit = await startLifecycleTestKit();
});
after(async () => kit.close());

const operator: LifecycleActor = { type: 'operator', telegramId: 777 };

async function topUp(userId: number, amount: string): Promise<void> {
  await creditBalance(kit.pool, { userId, amount, reason: 'top_up', idempotencyKey: `test-top-up:${userId}:${amount}`, actor: testActor });
}

async function debitBalanceForTest(userId: number, amount: string, paymentId: number): Promise<void> {
  await debitBalance(kit.pool, {
    userId,
    amount,
    reason: 'subscription_purchase',
    source: { table: 'payments', id: paymentId },
    idempotencyKey: `test-spend:${paymentId}`,
    actor: testActor,
  });
}

async function expectLedgerIdentity(userId: number): Promise<void> {
  assert.equal(await getLedgerSum(kit.pool, userId), await getBalance(kit.pool, userId));
}

describe('refundToBalance', () => {
  it('credits a completed payment to the balance once and marks it refunded', async () => {
    const row = await newActiveSubscription(kit.pool);
    const payment = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id, amount: '249.50', completed: true });
    const results = await Promise.all(
      [1, 2, 3].map(() => kit.activities.refundToBalance({ subscriptionId: row.id, paymentId: payment.id, actor: operator })),
    );
    assert.equal(results.filter((result) => result.refunded).length, 3, 'the refund is in effect for every retry');
    assert.ok(results.every((result) => result.amountKopecks === '24950'));
    assert.equal(await getBalance(kit.pool, row.user_id), '249.50', 'credited once');
    await expectLedgerIdentity(row.user_id);
    const [entry] = await listLedgerEntries(kit.pool, { userId: row.user_id });
    assert.deepEqual([entry?.reason, entry?.idempotency_key, entry?.source_id], ['refund', `refund:${payment.id}`, payment.id]);
    assert.equal((await getPayment(kit.pool, payment.id))?.status, 'refunded');
  });

  it('refuses a payment that is not completed or belongs elsewhere', async () => {
    const row = await newActiveSubscription(kit.pool);
    const pending = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: row.id });
    await assert.rejects(
      kit.activities.refundToBalance({ subscriptionId: row.id, paymentId: pending.id, actor: operator }),
      failureOf('INVALID_INPUT'),
    );
    const elsewhere = await newPayment(kit.pool, { userId: row.user_id, subscriptionId: null, completed: true });
    await assert.rejects(
      kit.activities.refundToBalance({ subscriptionId: row.id, paymentId: elsewhere.id, actor: operator }),
      failureOf('INVALID_INPUT'),
    );
    assert.equal(await getBalance(kit.pool, row.user_id), '0.00');
  });
});

describe('payReferralBonus', () => {
  it('credits the referrer once per referred user, for the first payment only, and tells them once (same answer on retries)', async () => {
    const referrer = await newUser(kit.pool);
    await setUserLanguage(kit.pool, { userId: referrer.id, languageCode: 'en', actor: testActor });
    const referred = await newUser(kit.pool, { referralCode: referrer.referral_code });
    const first = await newPayment(kit.pool, { userId: referred.id, completed: true });
    const second = await newPayment(kit.pool, { userId: referred.id, completed: true });

    const settled = await Promise.allSettled([
      kit.activities.payReferralBonus({ paymentId: first.id }),
      kit.activities.payReferralBonus({ paymentId: first.id }),
    ]);
    // A twin that finds the announcement being sent fails retryably; its retry completes.
    for (const result of settled) if (result.status === 'rejected') failureOf('NOTIFICATION_IN_FLIGHT', false)(result.reason);
    const results = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    results.push(await kit.activities.payReferralBonus({ paymentId: first.id }));
    assert.ok(results.every((result) => result.credited && result.referrerUserId === referrer.id && result.amountKopecks === '5000'));
    assert.deepEqual(
      (await listLedgerEntries(kit.pool, { userId: referrer.id })).map((entry) => [entry.amount, entry.reason]),
      [['50.00', 'referral_bonus']],
    );
    assert.deepEqual(await kit.activities.payReferralBonus({ paymentId: second.id }), {
      credited: false,
      referrerUserId: referrer.id,
      amountKopecks: '0',
    });

    assert.equal(await getBalance(kit.pool, referrer.id), '50.00');
    await expectLedgerIdentity(referrer.id);
    const referral = await getReferralByReferredId(kit.pool, referred.id);
    assert.deepEqual([referral?.status, referral?.source_payment_id, referral?.bonus_amount], ['paid', first.id, '50.00']);
    const sent = kit.fake.sent(referrer.telegram_id);
    assert.equal(sent.length, 1);
    assert.match(String(sent[0]?.params['text']), /50 ₽ was added to your balance/);
  });

  it('pays nothing without a referrer, for a balance payment, or when bonuses are disabled', async () => {
    const lonely = await newUser(kit.pool);
    const payment = await newPayment(kit.pool, { userId: lonely.id, completed: true });
    assert.deepEqual(await kit.activities.payReferralBonus({ paymentId: payment.id }), {
      credited: false,
      referrerUserId: null,
      amountKopecks: '0',
    });

    const referrer = await newUser(kit.pool);
    const referred = await newUser(kit.pool, { referralCode: referrer.referral_code });
    const pending = await newPayment(kit.pool, { userId: referred.id });
    assert.equal((await kit.activities.payReferralBonus({ paymentId: pending.id })).credited, false);
    const { payment: fromBalance } = await createPayment(kit.pool, {
      userId: referred.id,
      subscriptionId: null,
      amount: '10.00',
      method: 'balance',
      provider: 'balance',
      actor: testActor,
    });
    await markPaymentCompleted(kit.pool, { paymentId: fromBalance.id, actor: testActor });
    assert.equal((await kit.activities.payReferralBonus({ paymentId: fromBalance.id })).credited, false);
    const disabled = createLifecycleActivities({
      db: kit.pool,
      logger: createLogger({ level: 'silent' }),
      telegram: createTelegramSender({ token: kit.fake.token, apiRoot: kit.fake.apiRoot }),
      publicBaseUrl: kit.publicBaseUrl,
      referralBonusKopecks: null,
    });
    const paid = await newPayment(kit.pool, { userId: referred.id, completed: true });
    assert.deepEqual(await disabled.payReferralBonus({ paymentId: paid.id }), {
      credited: false,
      referrerUserId: referrer.id,
      amountKopecks: '0',
    });
    assert.equal((await getReferralByReferredId(kit.pool, referred.id))?.status, 'pending');
    assert.equal(await getBalance(kit.pool, referrer.id), '0.00');
    await assert.rejects(kit.activities.payReferralBonus({ paymentId: 987_654 }), failureOf('NOT_FOUND'));
  });

  it('keeps the credit when the referrer blocked the bot', async () => {
    const referrer = await newUser(kit.pool);
    const referred = await newUser(kit.pool, { referralCode: referrer.referral_code });
    kit.fake.setBlocked(referrer.telegram_id, true);
    const payment = await newPayment(kit.pool, { userId: referred.id, completed: true });
    const result = await kit.activities.payReferralBonus({ paymentId: payment.id });
    assert.deepEqual(result, { credited: true, referrerUserId: referrer.id, amountKopecks: '5000' });
    assert.equal(await getBalance(kit.pool, referrer.id), '50.00');
  });
});

describe('referral bonus as a percentage of what was paid (REFERRAL_BONUS_PERCENT)', () => {
  const withPercent = (percent: string) =>
    createLifecycleActivities({
      db: kit.pool,
      logger: createLogger({ level: 'silent' }),
      telegram: createTelegramSender({ token: kit.fake.token, apiRoot: kit.fake.apiRoot }),
      publicBaseUrl: kit.publicBaseUrl,
      referralBonusKopecks: 5000n,
      referralBonusPercent: percent,
    });

  it('pays the exact kopecks, rounded down, once on retries; a discounted one-kopeck order earns nothing and a later payment does', async () => {
    const activities = withPercent('12.5');
    const referrer = await newUser(kit.pool);
    const referred = await newUser(kit.pool, { referralCode: referrer.referral_code });
    const penny = await newPayment(kit.pool, { userId: referred.id, amount: '0.01', completed: true });
    assert.deepEqual(await activities.payReferralBonus({ paymentId: penny.id }), {
      credited: false,
      referrerUserId: referrer.id,
      amountKopecks: '0',
    });
    assert.equal(
      (await getReferralByReferredId(kit.pool, referred.id))?.status,
      'pending',
      'a flat bonus is not farmed with a 1-kopeck order',
    );

    const paid = await newPayment(kit.pool, { userId: referred.id, amount: '199.99', completed: true });
    const results = [await activities.payReferralBonus({ paymentId: paid.id }), await activities.payReferralBonus({ paymentId: paid.id })];
    // 19999 × 12.5 % = 2499.875 → 2499 kopecks.
    for (const result of results) assert.deepEqual(result, { credited: true, referrerUserId: referrer.id, amountKopecks: '2499' });
    assert.equal(await getBalance(kit.pool, referrer.id), '24.99');
    assert.equal((await listLedgerEntries(kit.pool, { userId: referrer.id })).length, 1);
  });

  it('reverses the bonus through the ledger when the payment that earned it is refunded, once; a spent bonus takes what is left', async () => {
    const activities = withPercent('10');
    const referrer = await newUser(kit.pool);
    const referred = await newUser(kit.pool, { referralCode: referrer.referral_code });
    const row = await newActiveSubscription(kit.pool, { userId: referred.id });
    const payment = await newPayment(kit.pool, { userId: referred.id, subscriptionId: row.id, amount: '249.00', completed: true });
    assert.equal((await activities.payReferralBonus({ paymentId: payment.id })).amountKopecks, '2490');
    await Promise.all([1, 2].map(() => activities.refundToBalance({ subscriptionId: row.id, paymentId: payment.id, actor: operator })));
    assert.equal(await getBalance(kit.pool, referrer.id), '0.00', 'the bonus is taken back');
    const reasons = (await listLedgerEntries(kit.pool, { userId: referrer.id })).map((entry) => [entry.reason, entry.amount]);
    assert.deepEqual(
      reasons.sort(),
      [
        ['referral_bonus', '24.90'],
        ['referral_reversal', '-24.90'],
      ].sort(),
    );
    assert.ok((await getReferralByReferredId(kit.pool, referred.id))?.bonus_reversed_at);
    await expectLedgerIdentity(referrer.id);

    // Spent in part: only what is left goes back, the ledger never below zero.
    const spender = await newUser(kit.pool);
    const friend = await newUser(kit.pool, { referralCode: spender.referral_code });
    const friendsRow = await newActiveSubscription(kit.pool, { userId: friend.id });
    const friendsPayment = await newPayment(kit.pool, {
      userId: friend.id,
      subscriptionId: friendsRow.id,
      amount: '599.00',
      completed: true,
    });
    await activities.payReferralBonus({ paymentId: friendsPayment.id });
    const { payment: spend } = await createPayment(kit.pool, {
      userId: spender.id,
      subscriptionId: null,
      amount: '50.00',
      method: 'balance',
      provider: 'balance',
      actor: testActor,
    });
    await debitBalanceForTest(spender.id, '50.00', spend.id);
    await activities.refundToBalance({ subscriptionId: friendsRow.id, paymentId: friendsPayment.id, actor: operator });
    assert.equal(await getBalance(kit.pool, spender.id), '0.00');
    await expectLedgerIdentity(spender.id);
  });
});

describe('tryAutoRenew', () => {
  async function optedIn(balance: string | null) {
    const row = await newActiveSubscription(kit.pool, { planId: kit.monthPlan.id });
    await setAutoRenew(kit.pool, { userId: row.user_id, enabled: true, actor: testActor });
    if (balance !== null) await topUp(row.user_id, balance);
    return { row, endsAt: row.end_date?.toISOString() ?? '' };
  }

  it('renews from the balance: debits the price, records a completed balance payment, extends once', async () => {
    const { row, endsAt } = await optedIn('300.00');
    const result = await kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt });
    assert.ok(result.renewed);
    assert.equal(new Date(result.snapshot.endsAt ?? 0).getTime(), new Date(endsAt).getTime() + 30 * DAY_MS);
    assert.equal(await getBalance(kit.pool, row.user_id), '51.00');
    await expectLedgerIdentity(row.user_id);
    const payment = await getPayment(kit.pool, result.paymentId);
    assert.deepEqual(
      [
        payment?.payment_method,
        payment?.provider,
        payment?.status,
        payment?.amount,
        payment?.applied_at !== null,
        payment?.idempotency_key,
      ],
      ['balance', 'balance', 'completed', '249.00', true, `auto-renew:${row.id}:${endsAt}`],
    );
    const [debit] = await listLedgerEntries(kit.pool, { userId: row.user_id });
    assert.deepEqual(
      [debit?.amount, debit?.reason, debit?.idempotency_key],
      ['-249.00', 'subscription_purchase', `auto-renew:${row.id}:${endsAt}`],
    );

    const replay = await kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt });
    assert.deepEqual(replay, result);
    assert.equal(await getBalance(kit.pool, row.user_id), '51.00');
  });

  it('renews once when called twice at the same time', async () => {
    const { row, endsAt } = await optedIn('600.00');
    const [a, b] = await Promise.all([
      kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt }),
      kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt }),
    ]);
    assert.ok(a.renewed && b.renewed);
    assert.equal(a.paymentId, b.paymentId);
    assert.equal(a.snapshot.endsAt, b.snapshot.endsAt);
    assert.equal(new Date(a.snapshot.endsAt ?? 0).getTime(), new Date(endsAt).getTime() + 30 * DAY_MS);
    assert.equal(await getBalance(kit.pool, row.user_id), '351.00');
    const payments = await kit.pool.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM payments WHERE subscription_id = ${row.id} AND payment_method = 'balance'`);
    assert.equal(payments, 1);
  });

  it('changes nothing when the balance is short, the user did not opt in, or the plan is gone', async () => {
    const { row, endsAt } = await optedIn('248.99');
    assert.deepEqual(await kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt }), {
      renewed: false,
      reason: 'insufficient-balance',
    });
    assert.equal(await getBalance(kit.pool, row.user_id), '248.99');
    assert.equal(await getPaymentByIdempotencyKey(kit.pool, `auto-renew:${row.id}:${endsAt}`), null);
    await expectLedgerIdentity(row.user_id);

    const notOptedIn = await newActiveSubscription(kit.pool, { planId: kit.monthPlan.id });
    await topUp(notOptedIn.user_id, '1000.00');
    const reply = await kit.activities.tryAutoRenew({ subscriptionId: notOptedIn.id, endsAt: notOptedIn.end_date?.toISOString() ?? '' });
    assert.deepEqual(reply, { renewed: false, reason: 'not-opted-in' });

    const planless = await newActiveSubscription(kit.pool);
    await setAutoRenew(kit.pool, { userId: planless.user_id, enabled: true, actor: testActor });
    const noPlan = await kit.activities.tryAutoRenew({ subscriptionId: planless.id, endsAt: planless.end_date?.toISOString() ?? '' });
    assert.deepEqual(noPlan, { renewed: false, reason: 'plan-unavailable' });
  });

  it('refuses a stale endsAt or a pending subscription without moving money', async () => {
    const { row, endsAt } = await optedIn('300.00');
    const stale = new Date(new Date(endsAt).getTime() - DAY_MS).toISOString();
    await assert.rejects(kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt: stale }), failureOf('SUBSCRIPTION_STATE_INVALID'));
    await assert.rejects(kit.activities.tryAutoRenew({ subscriptionId: row.id, endsAt: 'tomorrow' }), failureOf('INVALID_INPUT'));
    const pending = await createPendingSubscription(kit.pool, { userId: row.user_id, planId: kit.monthPlan.id, actor: testActor });
    await assert.rejects(kit.activities.tryAutoRenew({ subscriptionId: pending.id, endsAt }), failureOf('SUBSCRIPTION_STATE_INVALID'));
    assert.equal(await getBalance(kit.pool, row.user_id), '300.00');
  });
});
