/**
 * Read-only queries of the invariant checker (activities/invariants.ts): each returns the rows
 * that may break one invariant, already narrowed in SQL so the checker reads little. Nothing here
 * writes. Every timestamp comparison uses the database clock and a `settleSeconds` window, so
 * work still in flight (a payment completed a second ago, a subscription being provisioned) is
 * not reported as broken.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { subscriptionRow } from '../schemas/subscription-row';

/** A payment whose application is suspect, with what the audit and the ledger say about it. */
export const paymentApplicationRow = z.object({
  id: z.number().int(),
  user_id: z.number().int(),
  subscription_id: z.number().int().nullable(),
  status: z.string(),
  applied: z.boolean(),
  /** 'subscription.extended' audit rows naming this payment (one per period change). */
  extensions: z.number().int(),
  /** Distinct day counts those rows carry (NULL when none). */
  extension_days: z.array(z.number().int()).nullable(),
  /** The subscription's plan length, or null without a plan. */
  plan_days: z.number().int().nullable(),
  /** The payment went to the user's balance instead (a ledger credit sourced from it). */
  credited_to_balance: z.boolean(),
  /** Completed (not refunded) and unapplied for longer than the settle window. */
  unapplied_settled: z.boolean(),
});

/** One row of {@link listSuspectPayments}. */
export type PaymentApplicationRow = z.infer<typeof paymentApplicationRow>;

/**
 * Payments that may break "every completed payment is applied exactly once": completed and not
 * applied (after the settle window), or applied with other than one period change of the plan's
 * length (a credit to the balance instead of a period counts as applied). By id.
 */
export async function listSuspectPayments(
  connection: CommonQueryMethods,
  input: { settleSeconds: number },
): Promise<readonly PaymentApplicationRow[]> {
  return connection.any(sql.type(paymentApplicationRow)`
    WITH ext AS (
      SELECT (details->>'payment_id')::int AS payment_id, count(*)::int AS n,
             array_agg(DISTINCT (details->>'days')::int) AS days
      FROM audit_logs
      WHERE entity_type = 'subscription' AND action = 'subscription.extended' AND details ? 'payment_id'
      GROUP BY 1
    ), checked AS (
      SELECT p.id, p.user_id, p.subscription_id, p.status, p.applied_at IS NOT NULL AS applied,
             coalesce(ext.n, 0) AS extensions, ext.days AS extension_days, pl.duration_days AS plan_days,
             EXISTS (
               SELECT 1 FROM balance_ledger l
               WHERE l.source_table = 'payments' AND l.source_id = p.id AND l.amount > 0
             ) AS credited_to_balance,
             (p.status = 'completed' AND p.applied_at IS NULL
               -- A paid gift waits for its redeemer, unapplied by design.
               AND NOT EXISTS (SELECT 1 FROM gifts g WHERE g.payment_id = p.id AND g.redeemed_at IS NULL)
               AND coalesce(p.completed_at, p.updated_at) <= now() - make_interval(secs => ${input.settleSeconds})) AS unapplied_settled
      FROM payments p
      LEFT JOIN ext ON ext.payment_id = p.id
      LEFT JOIN subscriptions s ON s.id = p.subscription_id
      LEFT JOIN subscription_plans pl ON pl.id = s.plan_id
      WHERE p.applied_at IS NOT NULL OR p.status IN ('completed', 'refunded') OR ext.n IS NOT NULL
    )
    SELECT * FROM checked
    WHERE unapplied_settled
       OR (subscription_id IS NOT NULL AND applied AND extensions <> 1 AND NOT (extensions = 0 AND credited_to_balance))
       OR (NOT applied AND extensions > 0)
       OR (extensions = 1 AND plan_days IS NOT NULL AND extension_days <> ARRAY[plan_days])
    ORDER BY id
  `);
}

/** A subscription with whether it is past the settle window. */
export const settledSubscriptionRow = subscriptionRow.extend({
  /** Last changed before the settle window (work on it is not in flight). */
  settled: z.boolean(),
  /** end_date is before now() minus the settle window. */
  overdue: z.boolean(),
});

/** One row of {@link listLiveSubscriptions}. */
export type SettledSubscriptionRow = z.infer<typeof settledSubscriptionRow>;

/** Active subscriptions, by id. */
export async function listLiveSubscriptions(
  connection: CommonQueryMethods,
  input: { settleSeconds: number },
): Promise<readonly SettledSubscriptionRow[]> {
  return connection.any(sql.type(settledSubscriptionRow)`
    SELECT s.*,
           s.updated_at <= now() - make_interval(secs => ${input.settleSeconds}) AS settled,
           coalesce(s.end_date <= now() - make_interval(secs => ${input.settleSeconds}), false) AS overdue
    FROM subscriptions s WHERE s.status = 'active' ORDER BY s.id
  `);
}

/** Subscriptions that are not active, with a recorded client or a held slot, by id. */
export async function listEndedClientSubscriptions(
  connection: CommonQueryMethods,
  input: { settleSeconds: number },
): Promise<readonly SettledSubscriptionRow[]> {
  return connection.any(sql.type(settledSubscriptionRow)`
    SELECT s.*,
           s.updated_at <= now() - make_interval(secs => ${input.settleSeconds}) AS settled,
           false AS overdue
    FROM subscriptions s
    WHERE s.status <> 'active' AND (s.server_slot_held OR s.xui_email IS NOT NULL)
    ORDER BY s.id
  `);
}

const undeliveredRow = z.object({
  subscription_id: z.number().int(),
  user_id: z.number().int(),
  /** The newest key message's status, or null when none was ever recorded. */
  status: z.string().nullable(),
});

/**
 * Provisioned subscriptions (a client was recorded) whose user has no key message: none of
 * `kinds` naming the subscription is sent, and none is pending and touched within the settle
 * window (a delivery being retried). Subscriptions taken over from a panel (`npm run
 * import-panel`, audited `subscription.imported`) are left out: their users have the key from
 * before. By subscription id.
 */
export async function listUndeliveredKeys(
  connection: CommonQueryMethods,
  input: { settleSeconds: number; kinds: readonly string[] },
): Promise<ReadonlyArray<z.infer<typeof undeliveredRow>>> {
  return connection.any(sql.type(undeliveredRow)`
    SELECT s.id AS subscription_id, s.user_id,
           (SELECT n.status FROM notifications n
            WHERE n.user_id = s.user_id AND n.type = ANY(${sql.array([...input.kinds], 'text')})
              AND n.data->>'subscriptionId' = s.id::text
            ORDER BY n.id DESC LIMIT 1) AS status
    FROM subscriptions s
    WHERE s.xui_client_uuid IS NOT NULL
      AND s.updated_at <= now() - make_interval(secs => ${input.settleSeconds})
      AND NOT EXISTS (
        SELECT 1 FROM audit_logs a WHERE a.entity_type = 'subscription' AND a.entity_id = s.id AND a.action = 'subscription.imported'
      )
      AND NOT EXISTS (
        SELECT 1 FROM notifications n
        WHERE n.user_id = s.user_id AND n.type = ANY(${sql.array([...input.kinds], 'text')})
          AND n.data->>'subscriptionId' = s.id::text
          AND (n.status = 'sent' OR (n.status = 'pending' AND n.updated_at > now() - make_interval(secs => ${input.settleSeconds})))
      )
    ORDER BY s.id
  `);
}

const balanceRow = z.object({ id: z.number().int(), balance: z.string(), ledger: z.string() });

/** Users whose balance differs from the sum of their ledger, or is negative. By id. */
export async function listBalanceMismatches(connection: CommonQueryMethods): Promise<ReadonlyArray<z.infer<typeof balanceRow>>> {
  return connection.any(sql.type(balanceRow)`
    SELECT u.id, u.balance::text AS balance, coalesce(l.total, 0)::numeric(14, 2)::text AS ledger
    FROM users u
    LEFT JOIN (SELECT user_id, sum(amount) AS total FROM balance_ledger GROUP BY user_id) l ON l.user_id = u.id
    WHERE u.balance <> coalesce(l.total, 0) OR u.balance < 0
    ORDER BY u.id
  `);
}

const countsRow = z.object({ payments: z.number().int(), active_subscriptions: z.number().int(), users: z.number().int() });

/** How much the checker looked at. */
export async function countCheckedRows(connection: CommonQueryMethods): Promise<z.infer<typeof countsRow>> {
  return connection.one(sql.type(countsRow)`
    SELECT (SELECT count(*)::int FROM payments WHERE status IN ('completed', 'refunded')) AS payments,
           (SELECT count(*)::int FROM subscriptions WHERE status = 'active') AS active_subscriptions,
           (SELECT count(*)::int FROM users) AS users
  `);
}
