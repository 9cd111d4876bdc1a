/**
 * The operator's stats screen: users, subscriptions, revenue by day and by method (exact, in
 * kopecks, refunds netted), trial -> paid conversion and top plans, as numbers, as a plain text and
 * as a revenue-by-day bar chart (PNG). Definitions: sql/repositories/stats-repository.ts.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import { renderBarChart } from '../lib/charts/bar-chart';
import { formatMoney, parseMoney, type Kopecks } from '../lib/money';
import {
  revenueByDay,
  revenueByMethod,
  starsRevenue,
  subscriptionCounts,
  topPlans,
  trialConversion,
  userCounts,
  type StatsWindow,
} from '../sql/repositories/stats-repository';

/** One day of revenue (RUB subscription sales), in kopecks. */
export interface RevenueDay {
  /** Local date, YYYY-MM-DD. */
  day: string;
  grossKopecks: Kopecks;
  refundsKopecks: Kopecks;
  netKopecks: Kopecks;
}

/** Revenue of one payment method over the window, in kopecks. */
export interface RevenueByMethod {
  method: string;
  /** Payments completed in the window. */
  payments: number;
  grossKopecks: Kopecks;
  refundsKopecks: Kopecks;
  netKopecks: Kopecks;
}

/** Everything on the stats screen. */
export interface OperatorStats {
  asOf: Date;
  timeZone: string;
  /** Days of revenue, today included (14 or 30). */
  days: number;
  users: { total: number; newToday: number; new7d: number; new30d: number; blocked: number };
  subscriptions: { active: number; activeUsers: number; trial: number; paid: number; expiring3d: number };
  revenue: {
    byDay: RevenueDay[];
    byMethod: RevenueByMethod[];
    totalNetKopecks: Kopecks;
    /** Telegram Stars over the window, net of refunds, in stars. */
    starsNet: number;
    starsPayments: number;
  };
  conversion: { trialUsers: number; converted: number; /** One decimal, or null without trials. */ percent: number | null };
  topPlans: { planId: number; name: string; sales: number; amountKopecks: Kopecks }[];
}

/** The stats service. */
export interface OperatorStatsService {
  /** The numbers, as of now, with `days` of revenue (default 14). */
  stats(input?: { days?: 14 | 30 }): Promise<OperatorStats>;
}

/** Builds the stats service. `now` is injectable for tests; `timeZone` cuts the days (default Europe/Moscow). */
export function createOperatorStatsService(deps: { db: DatabasePool; timeZone?: string; now?: () => Date }): OperatorStatsService {
  const timeZone = deps.timeZone ?? 'Europe/Moscow';
  return {
    async stats(input = {}) {
      const window: StatsWindow = { now: deps.now?.() ?? new Date(), timeZone, days: input.days ?? 14 };
      const [users, subscriptions, days, methods, stars, conversion, plans] = await Promise.all([
        userCounts(deps.db, window),
        subscriptionCounts(deps.db, window),
        revenueByDay(deps.db, window),
        revenueByMethod(deps.db, window),
        starsRevenue(deps.db, window),
        trialConversion(deps.db, window),
        topPlans(deps.db, window),
      ]);
      const byDay = days.map((row) => {
        const gross = parseMoney(row.gross);
        const refunds = parseMoney(row.refunds);
        return { day: row.day, grossKopecks: gross, refundsKopecks: refunds, netKopecks: gross - refunds };
      });
      const byMethod = methods.map((row) => {
        const gross = parseMoney(row.gross);
        const refunds = parseMoney(row.refunds);
        return { method: row.method, payments: row.payments, grossKopecks: gross, refundsKopecks: refunds, netKopecks: gross - refunds };
      });
      return {
        asOf: window.now,
        timeZone,
        days: window.days,
        users: { total: users.total, newToday: users.new_today, new7d: users.new_7d, new30d: users.new_30d, blocked: users.blocked },
        subscriptions: {
          active: subscriptions.active,
          activeUsers: subscriptions.active_users,
          trial: subscriptions.trial,
          paid: subscriptions.active - subscriptions.trial,
          expiring3d: subscriptions.expiring_3d,
        },
        revenue: {
          byDay,
          byMethod,
          totalNetKopecks: byDay.reduce((sum, day) => sum + day.netKopecks, 0n),
          starsNet: Number(stars.gross) - Number(stars.refunds),
          starsPayments: stars.payments,
        },
        conversion: {
          trialUsers: conversion.trial_users,
          converted: conversion.converted,
          percent: conversion.trial_users === 0 ? null : Math.round((conversion.converted * 1000) / conversion.trial_users) / 10,
        },
        topPlans: plans.map((plan) => ({
          planId: plan.plan_id,
          name: plan.name,
          sales: plan.sales,
          amountKopecks: parseMoney(plan.amount),
        })),
      };
    },
  };
}

/** "12 345.67 ₽": RUB with thin grouping, exact. */
export function formatRub(kopecks: Kopecks): string {
  const [whole = '0', fraction = '00'] = formatMoney(kopecks < 0n ? -kopecks : kopecks).split('.');
  return `${kopecks < 0n ? '−' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}.${fraction} ₽`;
}

const METHOD_NAMES: Record<string, string> = { card: 'card', sbp: 'SBP', crypto: 'crypto', balance: 'balance', stars: 'Stars' };

/** The stats as a plain text message (no parse_mode). */
export function statsText(stats: OperatorStats): string {
  const { users, subscriptions, revenue, conversion } = stats;
  const lines = [
    `Stats as of ${stats.asOf.toISOString().slice(0, 16).replace('T', ' ')} UTC (days in ${stats.timeZone})`,
    '',
    `Users: ${users.total} (new: ${users.newToday} today, ${users.new7d} in 7 d, ${users.new30d} in 30 d; blocked the bot: ${users.blocked})`,
    `Subscriptions active: ${subscriptions.active} (paid ${subscriptions.paid}, trial ${subscriptions.trial}); ending within 3 days: ${subscriptions.expiring3d}`,
    `Trial → paid: ${conversion.converted} of ${conversion.trialUsers}${conversion.percent === null ? '' : ` (${conversion.percent}%)`}`,
    '',
    `Revenue, ${stats.days} days, refunds netted: ${formatRub(revenue.totalNetKopecks)}${revenue.starsPayments > 0 ? ` + ${revenue.starsNet} ⭐` : ''}`,
  ];
  for (const method of revenue.byMethod) {
    lines.push(
      `  ${METHOD_NAMES[method.method] ?? method.method}: ${formatRub(method.netKopecks)} (${method.payments} payments` +
        `${method.refundsKopecks > 0n ? `, refunds ${formatRub(method.refundsKopecks)}` : ''})`,
    );
  }
  const recent = revenue.byDay.slice(-7).reverse();
  lines.push('', 'By day (last 7):');
  for (const day of recent)
    lines.push(`  ${day.day}: ${formatRub(day.netKopecks)}${day.refundsKopecks > 0n ? ` (refunds ${formatRub(day.refundsKopecks)})` : ''}`);
  if (stats.topPlans.length > 0) {
    lines.push('', 'Top plans:');
    stats.topPlans.forEach((plan, index) =>
      lines.push(`  ${index + 1}. ${plan.name}: ${plan.sales} sold, ${formatRub(plan.amountKopecks)}`),
    );
  }
  return lines.join('\n');
}

/** The revenue-by-day bar chart (net RUB per local day) as a PNG, labelled with day-of-month numbers. */
export function revenueChartPng(stats: OperatorStats): Buffer {
  return renderBarChart({
    title: `Revenue, RUB, ${stats.days} days`,
    bars: stats.revenue.byDay.map((day) => ({ label: String(Number(day.day.slice(8, 10))), value: Number(day.netKopecks) / 100 })),
    formatValue: (value) => `${Math.round(value)} RUB`,
  });
}
