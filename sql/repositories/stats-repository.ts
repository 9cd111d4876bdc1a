/**
 * The numbers of the operator's stats screen, each one query, all as of a given instant `now` and
 * with days cut at midnight in the operator's time zone `tz`.
 *
 * Money is summed in Postgres as NUMERIC and handed over as decimal text (exact; the usecase turns
 * it into integer kopecks). Revenue means subscription sales in RUB (payments with a subscription,
 * completed, any method including 'balance': the balance holds refunds and referral bonuses, which
 * count when spent), on the day each payment completed; refunds are netted on the day they happened
 * (a payment refunded later stays in its sales day and its refund lands on the refund day). Telegram
 * Stars (currency XTR) are counted apart, in stars. A balance top-up (no subscription) is not a sale:
 * it counts when the balance is spent, so a top-up by card or Stars is never counted twice.
 */
import { sql, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { z } from 'zod';

/** When and where the stats are cut. */
export interface StatsWindow {
  now: Date;
  /** IANA time zone of the operator's days, e.g. 'Europe/Moscow'. */
  timeZone: string;
  /** Days of revenue, today included. */
  days: number;
}

const money = z.string();

/** Start of the window's first local day, as timestamptz. */
function windowStart(window: StatsWindow): FragmentSqlToken {
  const now = sql.timestamp(window.now);
  return sql.fragment`((((${now} AT TIME ZONE ${window.timeZone})::date - ${window.days - 1}::int)::timestamp) AT TIME ZONE ${window.timeZone})`;
}

const userCountsRow = z.object({ total: z.number(), new_today: z.number(), new_7d: z.number(), new_30d: z.number(), blocked: z.number() });
/** Users: all, new since local midnight, in the last 7 and 30 days, blocked the bot. */
export async function userCounts(connection: CommonQueryMethods, window: StatsWindow): Promise<z.infer<typeof userCountsRow>> {
  const now = sql.timestamp(window.now);
  return connection.one(sql.type(userCountsRow)`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE created_at >= ((date_trunc('day', ${now} AT TIME ZONE ${window.timeZone})) AT TIME ZONE ${window.timeZone}))::int AS new_today,
           count(*) FILTER (WHERE created_at > ${now} - interval '7 days')::int AS new_7d,
           count(*) FILTER (WHERE created_at > ${now} - interval '30 days')::int AS new_30d,
           count(*) FILTER (WHERE blocked_at IS NOT NULL)::int AS blocked
    FROM users WHERE created_at <= ${now}
  `);
}

const subscriptionCountsRow = z.object({ active: z.number(), active_users: z.number(), trial: z.number(), expiring_3d: z.number() });
/**
 * Subscriptions running now: all, their distinct users, trials (active with no completed or
 * refunded payment of their own) and those ending within 3 days.
 */
export async function subscriptionCounts(
  connection: CommonQueryMethods,
  window: StatsWindow,
): Promise<z.infer<typeof subscriptionCountsRow>> {
  const now = sql.timestamp(window.now);
  return connection.one(sql.type(subscriptionCountsRow)`
    WITH running AS (
      SELECT s.user_id, s.end_date,
             EXISTS (SELECT 1 FROM payments p WHERE p.subscription_id = s.id AND p.status IN ('completed', 'refunded')) AS paid
      FROM subscriptions s
      WHERE s.status = 'active' AND s.end_date > ${now}
    )
    SELECT count(*)::int AS active,
           count(DISTINCT user_id)::int AS active_users,
           count(*) FILTER (WHERE NOT paid)::int AS trial,
           count(*) FILTER (WHERE end_date <= ${now} + interval '3 days')::int AS expiring_3d
    FROM running
  `);
}

const revenueDayRow = z.object({ day: z.string(), gross: money, refunds: money });
/** RUB subscription sales and refunds per local day of the window, every day listed (zeros too), oldest first. */
export async function revenueByDay(connection: CommonQueryMethods, window: StatsWindow): Promise<readonly z.infer<typeof revenueDayRow>[]> {
  const now = sql.timestamp(window.now);
  const start = windowStart(window);
  const tz = window.timeZone;
  return connection.any(sql.type(revenueDayRow)`
    WITH days AS (
      SELECT generate_series((${now} AT TIME ZONE ${tz})::date - ${window.days - 1}::int, (${now} AT TIME ZONE ${tz})::date, interval '1 day')::date AS day
    ),
    sales AS (
      SELECT (completed_at AT TIME ZONE ${tz})::date AS day, sum(amount) AS amount FROM payments
      WHERE status IN ('completed', 'refunded') AND currency = 'RUB' AND subscription_id IS NOT NULL
        AND completed_at >= ${start} AND completed_at <= ${now}
      GROUP BY 1
    ),
    refunds AS (
      SELECT (refunded_at AT TIME ZONE ${tz})::date AS day, sum(amount) AS amount FROM payments
      WHERE status = 'refunded' AND currency = 'RUB' AND subscription_id IS NOT NULL
        AND refunded_at >= ${start} AND refunded_at <= ${now}
      GROUP BY 1
    )
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
           coalesce(s.amount, 0)::numeric(14,2)::text AS gross,
           coalesce(r.amount, 0)::numeric(14,2)::text AS refunds
    FROM days d LEFT JOIN sales s ON s.day = d.day LEFT JOIN refunds r ON r.day = d.day
    ORDER BY d.day
  `);
}

const revenueMethodRow = z.object({ method: z.string(), payments: z.number(), gross: money, refunds: money });
/** RUB subscription sales and refunds in the window by payment method, largest net first. */
export async function revenueByMethod(
  connection: CommonQueryMethods,
  window: StatsWindow,
): Promise<readonly z.infer<typeof revenueMethodRow>[]> {
  const now = sql.timestamp(window.now);
  const start = windowStart(window);
  return connection.any(sql.type(revenueMethodRow)`
    WITH moves AS (
      SELECT payment_method AS method, 1 AS payments, amount AS gross, 0::numeric AS refunds FROM payments
      WHERE status IN ('completed', 'refunded') AND currency = 'RUB' AND subscription_id IS NOT NULL
        AND completed_at >= ${start} AND completed_at <= ${now}
      UNION ALL
      SELECT payment_method, 0, 0, amount FROM payments
      WHERE status = 'refunded' AND currency = 'RUB' AND subscription_id IS NOT NULL
        AND refunded_at >= ${start} AND refunded_at <= ${now}
    )
    SELECT method, sum(payments)::int AS payments,
           sum(gross)::numeric(14,2)::text AS gross, sum(refunds)::numeric(14,2)::text AS refunds
    FROM moves GROUP BY method
    ORDER BY sum(gross) - sum(refunds) DESC, method
  `);
}

const starsRow = z.object({ payments: z.number(), gross: z.string(), refunds: z.string() });
/** Telegram Stars (XTR) subscription sales and refunds in the window, in stars. */
export async function starsRevenue(connection: CommonQueryMethods, window: StatsWindow): Promise<z.infer<typeof starsRow>> {
  const now = sql.timestamp(window.now);
  const start = windowStart(window);
  return connection.one(sql.type(starsRow)`
    SELECT count(*) FILTER (WHERE completed_at >= ${start} AND completed_at <= ${now})::int AS payments,
           coalesce(sum(amount) FILTER (WHERE completed_at >= ${start} AND completed_at <= ${now}), 0)::bigint::text AS gross,
           coalesce(sum(amount) FILTER (WHERE status = 'refunded' AND refunded_at >= ${start} AND refunded_at <= ${now}), 0)::bigint::text AS refunds
    FROM payments WHERE currency = 'XTR' AND status IN ('completed', 'refunded') AND subscription_id IS NOT NULL
  `);
}

const conversionRow = z.object({ trial_users: z.number(), converted: z.number() });
/** Users who took the trial (ever, up to `now`) and how many of them paid after it. */
export async function trialConversion(connection: CommonQueryMethods, window: StatsWindow): Promise<z.infer<typeof conversionRow>> {
  const now = sql.timestamp(window.now);
  return connection.one(sql.type(conversionRow)`
    SELECT count(*)::int AS trial_users,
           count(*) FILTER (WHERE EXISTS (
             SELECT 1 FROM payments p
             WHERE p.user_id = u.id AND p.status IN ('completed', 'refunded') AND p.completed_at > u.trial_used_at AND p.completed_at <= ${now}
           ))::int AS converted
    FROM users u WHERE u.trial_used_at IS NOT NULL AND u.trial_used_at <= ${now}
  `);
}

const topPlanRow = z.object({ plan_id: z.number(), name: z.string(), sales: z.number(), amount: money });
/**
 * Plans by RUB sales completed in the window and not refunded (count, then amount), at most `limit`.
 */
export async function topPlans(
  connection: CommonQueryMethods,
  window: StatsWindow,
  limit = 5,
): Promise<readonly z.infer<typeof topPlanRow>[]> {
  const now = sql.timestamp(window.now);
  const start = windowStart(window);
  return connection.any(sql.type(topPlanRow)`
    SELECT sp.id AS plan_id, sp.name, count(*)::int AS sales, sum(p.amount)::numeric(14,2)::text AS amount
    FROM payments p
    JOIN subscriptions s ON s.id = p.subscription_id
    JOIN subscription_plans sp ON sp.id = s.plan_id
    WHERE p.status = 'completed' AND p.currency = 'RUB' AND p.completed_at >= ${start} AND p.completed_at <= ${now}
    GROUP BY sp.id, sp.name
    ORDER BY count(*) DESC, sum(p.amount) DESC, sp.id
    LIMIT ${limit}
  `);
}
