import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import type { PanelResolver } from '../lib/xui/panel-for-server';
import { createAuditActivities } from './audit-activities';
import { createPanelActivities } from './panel-activities';

/** Everything activities may touch, built once by the worker's composition root. */
export interface ActivityDeps {
  db: DatabasePool;
  logger: Logger;
  /** 3X-UI panel clients per server (lib/xui/panel-for-server.ts). */
  panels: PanelResolver;
  /** Secret (>= 16 characters) from which panel client identities derive; never logged. */
  clientIdSalt: string;
  /** Public base URL of the api, no trailing slash: subscription URLs are `<this>/sub/<token>`. */
  publicBaseUrl: string;
}

/**
 * Builds every activity from its dependencies (no module state), so tests can build the same
 * functions against a test database and fakes. Workflows see only the type.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createAuditActivities(deps),
    ...createPanelActivities(deps),
  };
}

/** The activity interface workflows proxy (`import type` only). */
export type Activities = ReturnType<typeof createActivities>;
