/**
 * The stats screen on seeded data with fixed timestamps around a fixed `now`
 * (2026-11-20 09:00 UTC = 12:00 in Moscow): every number is worked out by hand in the comments.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createOperatorStatsService, formatRub, revenueChartPng, statsText, type OperatorStatsService } from './operator-stats';

const NOW = new Date('2026-11-20T09:00:00Z');
const at = (iso: string) => sql.timestamp(new Date(iso));
const hoursFromNow = (hours: number) => sql.timestamp(new Date(NOW.getTime() + hours * 3_600_000));
const daysFromNow = (days: number) => hoursFromNow(days * 24);

describe('operator stats', () => {
  let database: TestDatabase;
  let service: OperatorStatsService;
  let plan1: number;
  let plan4: number;
  let nextTelegramId = 5_000_000;

  before(async () => {
    database = await createTestDatabase({ seed: true });
    service = createOperatorStatsService({ db: database.pool, timeZone: 'Europe/Moscow', now: () => NOW });
    const pool = database.pool;
    const planId = (name: string) =>
      pool.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = ${name}`);
    plan1 = await planId('1 месяц');
    const plan2 = await planId('3 месяца');
    plan4 = await planId('12 месяцев');

    const user = async (created: ReturnType<typeof at>, extra: { trial?: ReturnType<typeof at>; blocked?: ReturnType<typeof at> } = {}) =>
      pool.oneFirst(sql.type(z.object({ id: z.number() }))`
        INSERT INTO users (telegram_id, created_at, trial_used_at, blocked_at)
        VALUES (${nextTelegramId++}, ${created}, ${extra.trial ?? null}, ${extra.blocked ?? null}) RETURNING id
      `);
    const subscription = async (userId: number, plan: number, status: string, end: ReturnType<typeof at>) =>
      pool.oneFirst(sql.type(z.object({ id: z.number() }))`
        INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date)
        VALUES (${userId}, ${plan}, ${status}, ${daysFromNow(-60)}, ${end}) RETURNING id
      `);
    const payment = async (input: {
      userId: number;
      subscriptionId: number | null;
      amount: string;
      method: string;
      status: string;
      completed?: ReturnType<typeof at>;
      refunded?: ReturnType<typeof at>;
    }) => {
      const stars = input.method === 'stars';
      await pool.query(sql.unsafe`
        INSERT INTO payments (user_id, subscription_id, amount, currency, payment_method, status, provider, completed_at, refunded_at)
        VALUES (${input.userId}, ${input.subscriptionId}, ${input.amount}, ${stars ? 'XTR' : 'RUB'}, ${input.method}, ${input.status},
                ${stars ? 'telegram_stars' : 'test'}, ${input.completed ?? null}, ${input.refunded ?? null})
      `);
    };

    // u1: joined today (an hour ago), on a trial ending in 2 days.
    const u1 = await user(hoursFromNow(-1), { trial: hoursFromNow(-1) });
    await subscription(u1, plan1, 'active', daysFromNow(2));
    // u2: joined 2026-11-19 23:00 Moscow (yesterday there), took the trial, paid by card 249.00 at 01:00 on the 20th (Moscow).
    const u2 = await user(at('2026-11-19T20:00:00Z'), { trial: at('2026-11-19T20:00:00Z') });
    const s2 = await subscription(u2, plan1, 'active', daysFromNow(29));
    await payment({
      userId: u2,
      subscriptionId: s2,
      amount: '249.00',
      method: 'card',
      status: 'completed',
      completed: at('2026-11-19T22:00:00Z'),
    });
    // u3: joined 10 days ago, paid 599.00 by SBP on the 15th, refunded on the 18th; subscription cancelled.
    const u3 = await user(daysFromNow(-10));
    const s3 = await subscription(u3, plan2, 'cancelled', daysFromNow(80));
    await payment({
      userId: u3,
      subscriptionId: s3,
      amount: '599.00',
      method: 'sbp',
      status: 'refunded',
      completed: at('2026-11-15T10:00:00Z'),
      refunded: at('2026-11-18T10:00:00Z'),
    });
    // u4: joined 40 days ago, paid by card 249.00 on the 10th, ends tomorrow.
    const u4 = await user(daysFromNow(-40));
    const s4 = await subscription(u4, plan1, 'active', daysFromNow(1));
    await payment({
      userId: u4,
      subscriptionId: s4,
      amount: '249.00',
      method: 'card',
      status: 'completed',
      completed: at('2026-11-10T12:00:00Z'),
    });
    // A pending and a failed payment, and one completing after `now`: none counts.
    await payment({ userId: u4, subscriptionId: s4, amount: '249.00', method: 'card', status: 'pending' });
    await payment({ userId: u4, subscriptionId: s4, amount: '249.00', method: 'card', status: 'failed' });
    await payment({ userId: u4, subscriptionId: s4, amount: '249.00', method: 'card', status: 'completed', completed: hoursFromNow(1) });
    // u5: joined 5 days ago, took the trial, never paid, blocked the bot; the trial expired.
    const u5 = await user(daysFromNow(-5), { trial: daysFromNow(-5), blocked: daysFromNow(-1) });
    await subscription(u5, plan1, 'expired', daysFromNow(-2));
    // u6: joined 20 days ago, paid 150 Stars on the 12th and 249.00 from the balance on the 19th (11:00 Moscow).
    const u6 = await user(daysFromNow(-20));
    const s6 = await subscription(u6, plan1, 'active', daysFromNow(10));
    await payment({
      userId: u6,
      subscriptionId: s6,
      amount: '150',
      method: 'stars',
      status: 'completed',
      completed: at('2026-11-12T10:00:00Z'),
    });
    await payment({
      userId: u6,
      subscriptionId: s6,
      amount: '249.00',
      method: 'balance',
      status: 'completed',
      completed: at('2026-11-19T08:00:00Z'),
    });
    // u6 also topped up the balance by Stars and by card: not sales (counted when the balance is spent).
    for (const [amount, method] of [
      ['300', 'stars'],
      ['500.00', 'card'],
    ] as const)
      await payment({ userId: u6, subscriptionId: null, amount, method, status: 'completed', completed: at('2026-11-18T08:00:00Z') });
    // u7: joined 35 days ago, paid 1999.00 in crypto on 1 November (outside 14 days, inside 30).
    const u7 = await user(daysFromNow(-35));
    const s7 = await subscription(u7, plan4, 'active', daysFromNow(300));
    await payment({
      userId: u7,
      subscriptionId: s7,
      amount: '1999.00',
      method: 'crypto',
      status: 'completed',
      completed: at('2026-11-01T10:00:00Z'),
    });
  });
  after(async () => {
    await database?.drop();
  });

  it('counts users, subscriptions, conversion and 14 days of revenue exactly', async () => {
    const stats = await service.stats();
    assert.deepEqual(stats.users, { total: 7, newToday: 1, new7d: 3, new30d: 5, blocked: 1 });
    assert.deepEqual(stats.subscriptions, { active: 5, activeUsers: 5, trial: 1, paid: 4, expiring3d: 2 });
    assert.deepEqual(stats.conversion, { trialUsers: 3, converted: 1, percent: 33.3 });

    assert.equal(stats.revenue.byDay.length, 14);
    assert.equal(stats.revenue.byDay[0]?.day, '2026-11-07');
    assert.equal(stats.revenue.byDay[13]?.day, '2026-11-20');
    const nonZero = stats.revenue.byDay.filter((day) => day.grossKopecks !== 0n || day.refundsKopecks !== 0n);
    assert.deepEqual(nonZero, [
      { day: '2026-11-10', grossKopecks: 24900n, refundsKopecks: 0n, netKopecks: 24900n },
      { day: '2026-11-15', grossKopecks: 59900n, refundsKopecks: 0n, netKopecks: 59900n },
      { day: '2026-11-18', grossKopecks: 0n, refundsKopecks: 59900n, netKopecks: -59900n },
      { day: '2026-11-19', grossKopecks: 24900n, refundsKopecks: 0n, netKopecks: 24900n },
      { day: '2026-11-20', grossKopecks: 24900n, refundsKopecks: 0n, netKopecks: 24900n },
    ]);
    assert.equal(stats.revenue.totalNetKopecks, 74700n);
    assert.deepEqual(stats.revenue.byMethod, [
      { method: 'card', payments: 2, grossKopecks: 49800n, refundsKopecks: 0n, netKopecks: 49800n },
      { method: 'balance', payments: 1, grossKopecks: 24900n, refundsKopecks: 0n, netKopecks: 24900n },
      { method: 'sbp', payments: 1, grossKopecks: 59900n, refundsKopecks: 59900n, netKopecks: 0n },
    ]);
    assert.equal(stats.revenue.starsNet, 150);
    assert.equal(stats.revenue.starsPayments, 1);
    assert.deepEqual(stats.topPlans, [{ planId: plan1, name: '1 месяц', sales: 3, amountKopecks: 74700n }]);
  });

  it('widens revenue and top plans to 30 days', async () => {
    const stats = await service.stats({ days: 30 });
    assert.equal(stats.revenue.byDay.length, 30);
    assert.equal(stats.revenue.totalNetKopecks, 274600n);
    assert.deepEqual(stats.revenue.byMethod[0], {
      method: 'crypto',
      payments: 1,
      grossKopecks: 199900n,
      refundsKopecks: 0n,
      netKopecks: 199900n,
    });
    assert.deepEqual(
      stats.topPlans.map((plan) => [plan.planId, plan.sales, plan.amountKopecks]),
      [
        [plan1, 3, 74700n],
        [plan4, 1, 199900n],
      ],
    );
  });

  it('writes the screen text and a PNG chart of the days', async () => {
    const stats = await service.stats();
    const text = statsText(stats);
    assert.match(text, /Users: 7 \(new: 1 today, 3 in 7 d, 5 in 30 d; blocked the bot: 1\)/);
    assert.match(text, /Subscriptions active: 5 \(paid 4, trial 1\); ending within 3 days: 2/);
    assert.match(text, /Trial → paid: 1 of 3 \(33\.3%\)/);
    assert.match(text, /Revenue, 14 days, refunds netted: 747\.00 ₽ \+ 150 ⭐/);
    assert.match(text, /SBP: 0\.00 ₽ \(1 payments, refunds 599\.00 ₽\)/);
    assert.match(text, /2026-11-18: −599\.00 ₽ \(refunds 599\.00 ₽\)/);
    assert.match(text, /1\. 1 месяц: 3 sold, 747\.00 ₽/);
    assert.equal(formatRub(123456789n), '1 234 567.89 ₽');
    const png = revenueChartPng(stats);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.readUInt32BE(16), 720);
    assert.equal(png.readUInt32BE(20), 360);
  });
});
