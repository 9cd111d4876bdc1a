/** app_settings (migration 0018): small operator switches, key -> JSON, with who set them last. */
import { sql, type CommonQueryMethods, type SerializableValue } from 'slonik';
import { z } from 'zod';
import { writeAuditLog, type Actor } from './audit-repository';

const settingRow = z.object({ key: z.string(), value: z.unknown(), updated_by: z.string(), updated_at: z.date() });
/** One setting. */
export type AppSettingRow = z.infer<typeof settingRow>;

/** The setting, or null when never set. */
export async function getAppSetting(connection: CommonQueryMethods, key: string): Promise<AppSettingRow | null> {
  return connection.maybeOne(sql.type(settingRow)`SELECT key, value, updated_by, updated_at FROM app_settings WHERE key = ${key}`);
}

function actorLabel(actor: Actor): string {
  switch (actor.type) {
    case 'operator':
      return `operator:${actor.telegramId}`;
    case 'user':
      return `user:${actor.userId}`;
    case 'provider_webhook':
      return `provider:${actor.provider}`;
    case 'system':
      return `system:${actor.component}`;
  }
}

/** Sets the setting and audits the change (`setting.changed`, previous and new value) in one transaction. */
export async function setAppSetting(
  connection: CommonQueryMethods,
  input: { key: string; value: SerializableValue; actor: Actor },
): Promise<AppSettingRow> {
  return connection.transaction(async (tx) => {
    const previous = await tx.maybeOne(
      sql.type(settingRow)`SELECT key, value, updated_by, updated_at FROM app_settings WHERE key = ${input.key} FOR UPDATE`,
    );
    const row = await tx.one(sql.type(settingRow)`
      INSERT INTO app_settings (key, value, updated_by) VALUES (${input.key}, ${sql.jsonb(input.value)}, ${actorLabel(input.actor)})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()
      RETURNING key, value, updated_by, updated_at
    `);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'setting.changed',
      entityType: 'app_setting',
      entityId: 0,
      details: { key: input.key, from: previous?.value ?? null, to: input.value },
    });
    return row;
  });
}

const fleetHealthRow = z.object({ active: z.number(), up: z.number() });
/** Active servers (is_active) and how many of them the health probe last saw up. */
export async function fleetHealth(connection: CommonQueryMethods): Promise<z.infer<typeof fleetHealthRow>> {
  return connection.one(sql.type(fleetHealthRow)`
    SELECT count(*)::int AS active, count(*) FILTER (WHERE status = 'up')::int AS up FROM vpn_servers WHERE is_active
  `);
}
