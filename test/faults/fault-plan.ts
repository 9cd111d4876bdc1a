/**
 * When each fault happens, as offsets into the purchase window, so a shorter window (local
 * iteration) keeps the same shape: worker SIGKILLs spread over the window, Postgres killed early,
 * the panel stopped for FAULT_PANEL_DOWN_SECONDS from a quarter in (overlapping a worker kill and
 * the Temporal kill), Temporal killed past the middle.
 */
import type { FaultConfig } from './fault-config';

/** One scheduled fault action. */
export interface PlannedFault {
  /** Milliseconds after the first purchase. */
  atMs: number;
  kind: 'worker-kill' | 'postgres-kill' | 'temporal-kill' | 'panel-stop' | 'panel-start';
}

/** The faults of one run, in time order. */
export function planFaults(config: FaultConfig): PlannedFault[] {
  const windowMs = config.FAULT_WINDOW_SECONDS * 1000;
  const at = (fraction: number) => Math.round(fraction * windowMs);
  const plan: PlannedFault[] = [];
  const kills = config.FAULT_WORKER_KILLS;
  for (let k = 0; k < kills; k += 1) plan.push({ atMs: at(0.08 + (kills === 1 ? 0 : (k * 0.65) / (kills - 1))), kind: 'worker-kill' });
  plan.push({ atMs: at(0.19), kind: 'postgres-kill' });
  plan.push({ atMs: at(0.56), kind: 'temporal-kill' });
  if (config.FAULT_PANEL_DOWN_SECONDS > 0) {
    plan.push({ atMs: at(0.25), kind: 'panel-stop' });
    plan.push({ atMs: at(0.25) + config.FAULT_PANEL_DOWN_SECONDS * 1000, kind: 'panel-start' });
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}
