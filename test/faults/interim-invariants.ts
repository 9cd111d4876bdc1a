/**
 * A minimal stand-in for the project's invariant checker (activities/invariants.ts, another
 * branch), with the same report shape, until that lands: completed payments applied, active
 * subscriptions placed with a slot and one live client on the panel, slot counters, key message
 * recorded, balance = ledger.
 */
import { sql } from 'slonik';
import { z } from 'zod';
import type { DatabasePool } from '../../lib/db/create-pool';
import type { PanelResolver } from '../../lib/xui/panel-for-server';

/** One broken invariant. */
export interface InterimViolation {
  kind: string;
  summary: string;
}

/** Same shape as the project checker's report, reduced. */
export interface InterimReport {
  ok: boolean;
  checked: { payments: number; activeSubscriptions: number; users: number; panels: number };
  violations: InterimViolation[];
}

/** Checks the invariants once; throws only when Postgres cannot be read. */
export async function checkInterimInvariants(deps: { db: DatabasePool; panels: PanelResolver }): Promise<InterimReport> {
  const violations: InterimViolation[] = [];
  const add = (kind: string, summary: string) => violations.push({ kind, summary });
  const unapplied = await deps.db.any(sql.type(z.object({ id: z.number() }))`SELECT id FROM payments WHERE status = 'completed' AND applied_at IS NULL ORDER BY id`);
  for (const row of unapplied) add('payment_unapplied', `payment ${row.id} is completed but was never applied`);

  const active = await deps.db.any(sql.type(z.object({ id: z.number(), server_id: z.number().nullable(), server_slot_held: z.boolean(), xui_email: z.string().nullable() }))`
    SELECT id, server_id, server_slot_held, xui_email FROM subscriptions WHERE status = 'active' ORDER BY id`);
  const servers = new Set(active.flatMap((row) => (row.server_id === null ? [] : [row.server_id])));
  const clients = new Map<string, number>();
  let panelsRead = 0;
  for (const serverId of servers) {
    try {
      const { client } = await deps.panels.getPanel(serverId);
      for (const inbound of await client.listInbounds()) {
        for (const entry of inbound.clients) if (entry.enable) clients.set(entry.email, (clients.get(entry.email) ?? 0) + 1);
      }
      panelsRead += 1;
    } catch (error) {
      add('panel_unreachable', `the panel of server ${serverId} could not be read (${error instanceof Error ? error.name : 'error'})`);
    }
  }
  for (const row of active) {
    if (row.server_id === null || !row.server_slot_held) add('slot_not_held', `active subscription ${row.id} holds no slot (server ${row.server_id ?? 'none'})`);
    const live = row.xui_email === null ? 0 : (clients.get(row.xui_email) ?? 0);
    if (live !== 1) add(live === 0 ? 'client_missing' : 'client_duplicate', `active subscription ${row.id} has ${live} live clients on its panel`);
  }
  const slotCounts = await deps.db.any(sql.type(z.object({ id: z.number(), current_users: z.number(), held: z.number() }))`
    SELECT s.id, s.current_users, (SELECT count(*)::int FROM subscriptions WHERE server_id = s.id AND server_slot_held) AS held
    FROM vpn_servers s ORDER BY s.id`);
  for (const row of slotCounts) if (row.current_users !== row.held) add('slot_count_mismatch', `server ${row.id} counts ${row.current_users} users, ${row.held} hold a slot`);
  const undelivered = await deps.db.any(sql.type(z.object({ id: z.number() }))`
    SELECT s.id FROM subscriptions s WHERE s.status = 'active' AND NOT EXISTS (
      SELECT 1 FROM notifications n WHERE n.user_id = s.user_id AND n.type = 'key_delivered' AND n.status = 'sent')`);
  for (const row of undelivered) add('key_not_delivered', `the user of subscription ${row.id} has no sent key message`);
  const balances = await deps.db.any(sql.type(z.object({ id: z.number(), balance: z.string(), ledger: z.string() }))`
    SELECT u.id, u.balance::text AS balance, COALESCE((SELECT sum(amount) FROM balance_ledger WHERE user_id = u.id), 0)::numeric(12,2)::text AS ledger
    FROM users u ORDER BY u.id`);
  for (const row of balances) if (row.balance !== row.ledger) add('balance_mismatch', `user ${row.id}'s balance is ${row.balance}, the ledger sums to ${row.ledger}`);
  const payments = await deps.db.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM payments`);
  return { ok: violations.length === 0, checked: { payments, activeSubscriptions: active.length, users: balances.length, panels: panelsRead }, violations };
}
