/**
 * Maintenance mode: the bot stops taking money while an operator has turned maintenance on, or
 * while it could not serve a purchase anyway because every active panel is down (or no server is
 * active). The bot asks {@link MaintenanceService.isSelling} before showing a checkout.
 */
import type { DatabasePool } from '../lib/db/create-pool';
import { fleetHealth, getAppSetting, setAppSetting } from '../sql/repositories/app-settings-repository';

/** The app_settings key of the operator's switch. */
export const MAINTENANCE_KEY = 'maintenance';

/** Why the bot does not sell now. */
export type NotSellingReason = 'maintenance' | 'all_panels_down' | 'no_servers';

/** The answer of {@link MaintenanceService.isSelling}. */
export type SellingState =
  { selling: true } | { selling: false; reason: NotSellingReason; /** The operator's note, for 'maintenance'. */ note?: string };

/** What the operator's screen shows. */
export interface MaintenanceState {
  /** The operator's switch. */
  manual: { on: boolean; note: string | null; changedBy: string | null; changedAt: Date | null };
  /** Active servers and how many are up (the panel health probe's last verdict). */
  servers: { active: number; up: number };
  selling: SellingState;
}

/** The maintenance service. */
export interface MaintenanceService {
  /** Whether the bot may take money now (the bot calls this before every checkout). */
  isSelling(): Promise<SellingState>;
  /** The switch, the fleet's health and the verdict. */
  maintenanceState(): Promise<MaintenanceState>;
  /** Turns maintenance on (with an optional note shown to users) or off; audited with the operator as actor. */
  setMaintenance(input: { on: boolean; operatorTelegramId: number; note?: string }): Promise<MaintenanceState>;
}

interface SwitchValue {
  on: boolean;
  note: string | null;
}

function readSwitch(value: unknown): SwitchValue {
  if (typeof value !== 'object' || value === null) return { on: false, note: null };
  const record = value as Record<string, unknown>;
  return { on: record['on'] === true, note: typeof record['note'] === 'string' ? record['note'] : null };
}

/** Builds the maintenance service. */
export function createMaintenanceService(deps: { db: DatabasePool }): MaintenanceService {
  async function state(): Promise<MaintenanceState> {
    const [setting, servers] = await Promise.all([getAppSetting(deps.db, MAINTENANCE_KEY), fleetHealth(deps.db)]);
    const manual = readSwitch(setting?.value);
    const selling: SellingState = manual.on
      ? { selling: false, reason: 'maintenance', ...(manual.note === null ? {} : { note: manual.note }) }
      : servers.active === 0
        ? { selling: false, reason: 'no_servers' }
        : servers.up === 0
          ? { selling: false, reason: 'all_panels_down' }
          : { selling: true };
    return {
      manual: { on: manual.on, note: manual.note, changedBy: setting?.updated_by ?? null, changedAt: setting?.updated_at ?? null },
      servers,
      selling,
    };
  }

  return {
    async isSelling() {
      return (await state()).selling;
    },
    maintenanceState: state,
    async setMaintenance(input) {
      const note = input.note?.trim() ?? '';
      await setAppSetting(deps.db, {
        key: MAINTENANCE_KEY,
        value: { on: input.on, note: input.on && note !== '' ? note.slice(0, 500) : null },
        actor: { type: 'operator', telegramId: input.operatorTelegramId },
      });
      return state();
    },
  };
}
