import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import { createAuditActivities } from './audit-activities';

/** Everything activities may touch, built once by the worker's composition root. */
export interface ActivityDeps {
  db: DatabasePool;
  logger: Logger;
}

/**
 * Builds every activity from its dependencies (no module state), so tests can build the same
 * functions against a test database and fakes. Workflows see only the type.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities(deps),
  };
}

/** The activity interface workflows proxy (`import type` only). */
export type Activities = ReturnType<typeof createActivities>;
