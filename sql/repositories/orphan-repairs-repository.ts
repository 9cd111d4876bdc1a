import { sql, type CommonQueryMethods, type FragmentSqlToken } from 'slonik';
import { orphanRepairRow, type OrphanRepairRow, type OrphanSweep } from '../schemas/orphan-repair-row';

/** What decides which rows are orphans of a sweep. */
export interface OrphanCriteria {
  /** An orphan must have been in its state at least this long (a repair in flight is not an orphan), in seconds. */
  olderThanSeconds: number;
  /** cancelled_payment_late_success only: how far back cancelled payments are asked about, in hours. */
  withinHours: number;
}

/** Backoff of repeated attempts on one orphan: `baseSeconds * 2^(attempt-1)`, at most `maxSeconds`. */
export interface OrphanBackoff {
  baseSeconds: number;
  maxSeconds: number;
}

/** The default backoff: 5 minutes, doubling, at most 6 hours. */
export const DEFAULT_ORPHAN_BACKOFF: OrphanBackoff = { baseSeconds: 300, maxSeconds: 6 * 3600 };

/**
 * The orphans of each sweep as `(entity_id, since)`; `since` orders them, oldest first.
 * - payment_unapplied: completed payments of a subscription that were never applied (applied_at NULL);
 *   a payment for a cancelled subscription is one of them (its workflow credits it to the balance).
 * - subscription_without_client: active, not ended, and no server, key or client identity recorded.
 * - cancelled_payment_late_success: cancelled payments that reached a provider (external id), recent
 *   enough that the provider may still report a late success.
 */
function candidates(sweep: OrphanSweep, criteria: OrphanCriteria): FragmentSqlToken {
  const age = sql.fragment`make_interval(secs => ${criteria.olderThanSeconds}::float8)`;
  switch (sweep) {
    case 'payment_unapplied':
      return sql.fragment`
        SELECT p.id AS entity_id, p.completed_at AS since FROM payments p
        WHERE p.status = 'completed' AND p.applied_at IS NULL AND p.subscription_id IS NOT NULL
          AND p.completed_at < now() - ${age}`;
    case 'subscription_without_client':
      return sql.fragment`
        SELECT s.id AS entity_id, s.updated_at AS since FROM subscriptions s
        WHERE s.status = 'active' AND (s.end_date IS NULL OR s.end_date > now())
          AND (s.server_id IS NULL OR s.vpn_key IS NULL OR s.xui_client_uuid IS NULL)
          AND s.updated_at < now() - ${age}`;
    case 'cancelled_payment_late_success':
      return sql.fragment`
        SELECT p.id AS entity_id, p.created_at AS since FROM payments p
        WHERE p.status = 'cancelled' AND p.external_id IS NOT NULL AND p.payment_method IN ('card', 'sbp', 'crypto')
          AND p.created_at > now() - make_interval(hours => ${criteria.withinHours}::int)
          AND p.updated_at < now() - ${age}`;
  }
}

/**
 * Forgets the orphans of `sweep` that are gone (applied, provisioned, no longer cancelled or out of
 * the window), except those the run `sweepId` handled, so a later episode starts at attempt 1.
 * @returns how many rows were deleted
 */
export async function forgetResolvedOrphans(
  connection: CommonQueryMethods,
  input: { sweep: OrphanSweep; sweepId: string; criteria: OrphanCriteria },
): Promise<number> {
  const result = await connection.query(sql.unsafe`
    DELETE FROM orphan_repairs r
    WHERE r.sweep = ${input.sweep} AND r.last_sweep_id IS DISTINCT FROM ${input.sweepId}
      AND NOT EXISTS (
        SELECT 1 FROM (${candidates(input.sweep, { ...input.criteria, olderThanSeconds: 0 })}) c WHERE c.entity_id = r.entity_id
      )
  `);
  return result.rowCount;
}

/**
 * Claims up to `limit` orphans of `sweep` that are due (never tried, or their backoff is over) for
 * the run `sweepId`: counts the attempt and sets the next one after the backoff. When the run already
 * claimed rows (a retried activity), returns those again and claims nothing new, so a retry works on
 * the same orphans and reports the same repairs.
 *
 * @idempotency sweep+sweepId
 * @returns the claimed rows (oldest orphan first) and whether this call claimed them
 */
export async function claimDueOrphans(
  connection: CommonQueryMethods,
  input: { sweep: OrphanSweep; sweepId: string; limit: number; criteria: OrphanCriteria; backoff?: OrphanBackoff },
): Promise<{ fresh: boolean; repairs: readonly OrphanRepairRow[] }> {
  const backoff = input.backoff ?? DEFAULT_ORPHAN_BACKOFF;
  return connection.transaction(async (tx) => {
    const earlier = await tx.any(sql.type(orphanRepairRow)`
      SELECT * FROM orphan_repairs WHERE sweep = ${input.sweep} AND last_sweep_id = ${input.sweepId} ORDER BY id
    `);
    if (earlier.length > 0) return { fresh: false, repairs: earlier };
    const claimed = await tx.any(sql.type(orphanRepairRow)`
      WITH orphan AS (${candidates(input.sweep, input.criteria)}),
      due AS (
        SELECT o.entity_id, o.since FROM orphan o
        LEFT JOIN orphan_repairs r ON r.sweep = ${input.sweep} AND r.entity_id = o.entity_id
        WHERE r.id IS NULL OR r.next_at <= now()
        ORDER BY o.since, o.entity_id
        LIMIT ${input.limit}
      )
      INSERT INTO orphan_repairs (sweep, entity_id, attempts, next_at, last_sweep_id, last_at)
      SELECT ${input.sweep}, entity_id, 1, now() + make_interval(secs => ${backoff.baseSeconds}::float8), ${input.sweepId}, now() FROM due
      ON CONFLICT (sweep, entity_id) DO UPDATE
      SET attempts = orphan_repairs.attempts + 1,
          next_at = now() + make_interval(secs => least(${backoff.baseSeconds}::float8 * power(2, orphan_repairs.attempts), ${backoff.maxSeconds}::float8)),
          last_sweep_id = EXCLUDED.last_sweep_id, last_at = now(), last_outcome = NULL
      RETURNING *
    `);
    return { fresh: true, repairs: [...claimed].sort((a, b) => a.id - b.id) };
  });
}

/** Records what the last attempt on an orphan did ('handed-off', 'failed:CODE', ...). */
export async function recordOrphanOutcome(connection: CommonQueryMethods, input: { repairId: number; outcome: string }): Promise<void> {
  await connection.query(sql.unsafe`UPDATE orphan_repairs SET last_outcome = ${input.outcome.slice(0, 200)} WHERE id = ${input.repairId}`);
}

/** The orphan rows of a sweep, for tests and operators. */
export async function listOrphanRepairs(connection: CommonQueryMethods, sweep: OrphanSweep): Promise<readonly OrphanRepairRow[]> {
  return connection.any(sql.type(orphanRepairRow)`SELECT * FROM orphan_repairs WHERE sweep = ${sweep} ORDER BY id`);
}
