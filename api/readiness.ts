import { sql } from 'slonik';
import type { Connection } from '@temporalio/client';
import type { DatabasePool } from '../lib/db/create-pool';

/** A named dependency check; resolves when healthy, rejects otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** Checks that Postgres answers a query. */
export function postgresCheck(db: DatabasePool): ReadinessCheck {
  return async () => {
    await db.oneFirst(sql.unsafe`SELECT 1`);
  };
}

/** Checks that the Temporal frontend answers. */
export function temporalCheck(connection: Connection): ReadinessCheck {
  return async () => {
    await connection.workflowService.getSystemInfo({});
  };
}

/** Result of running every check, with each one's outcome. */
export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | 'failed'>;
}

/** Runs all checks in parallel, each bounded by `timeoutMs`. */
export async function runReadinessChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
        return [name, 'ok'] as const;
      } catch {
        return [name, 'failed'] as const;
      }
    }),
  );
  return { ready: entries.every(([, outcome]) => outcome === 'ok'), checks: Object.fromEntries(entries) };
}
