/**
 * Knobs of the process-level fault test (`npm run test:faults`), parsed once by zod. The
 * defaults are the scenario and what `.ci/run` uses; shorten them for local iteration,
 * e.g. `FAULT_PANEL_DOWN_SECONDS=20 FAULT_PURCHASES=10 FAULT_WINDOW_SECONDS=60 npm run test:faults`.
 */
import { z } from 'zod';

const seconds = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);

/** The fault test's configuration schema. */
export const faultConfigSchema = z.object({
  FAULT_PURCHASES: seconds(50, 1).describe('Purchases made through the real path during the faults'),
  FAULT_WINDOW_SECONDS: seconds(240, 20).describe('Seconds over which the purchases are spread; the faults are placed inside this window'),
  FAULT_WORKER_KILLS: seconds(3, 0).describe('How many times the worker is SIGKILLed (and restarted)'),
  FAULT_PANEL_DOWN_SECONDS: seconds(120, 0).describe('How long the fake 3X-UI panel is stopped, in seconds (0 = not stopped)'),
  FAULT_POSTGRES_DOWN_SECONDS: seconds(10, 0).describe(
    'How long Postgres stays dead after its SIGKILL before it is started again, in seconds',
  ),
  FAULT_TEMPORAL_DOWN_SECONDS: seconds(10, 0).describe(
    'How long the Temporal dev server stays dead after its SIGKILL before it is started again (same SQLite file), in seconds',
  ),
  FAULT_SETTLE_SECONDS: seconds(300, 10).describe('Bound on waiting, after the last fault and purchase, for every key and every invariant'),
  FAULT_TIMEOUT_SECONDS: seconds(900, 60).describe('Hard bound on the whole run; past it everything is stopped and the run fails'),
  FAULT_KEEP_LOGS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('Keep the process logs even when the run passes'),
});

/** Parsed fault test configuration. */
export type FaultConfig = z.infer<typeof faultConfigSchema>;
