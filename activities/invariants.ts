/**
 * The invariant checker: what must hold whatever crashed, read from Postgres and from every
 * panel (through the project's panel client, so it works on the fakes and on real panels):
 *
 * - every completed payment is applied exactly once (applied_at set, exactly one period change
 *   of the plan's length, or a credit to the balance instead);
 * - every active subscription holds a slot on its server and has exactly one live (enabled, not
 *   expired) client, there, expiring when the period ends; no other subscription has a live one;
 * - servers' current_users equal the slots held on them;
 * - every provisioned subscription's user got the key message (sent, or pending and retried);
 * - users.balance = sum(ledger) and >= 0.
 *
 * A violation is data, never an exception: the report lists them. Only a failure to read
 * (Postgres down) throws.
 */
import { AppError } from '../lib/errors';
import type { PanelResolver } from '../usecases/panel-for-server';
import type { DatabasePool } from '../lib/db/create-pool';
import { listPanelServerIds } from '../sql/repositories/fleet-repository';
import { listSlotCountMismatches } from '../sql/repositories/server-slots-repository';
import {
  countCheckedRows,
  listBalanceMismatches,
  listEndedClientSubscriptions,
  listLiveSubscriptions,
  listSuspectPayments,
  listUndeliveredKeys,
  type PaymentApplicationRow,
  type SettledSubscriptionRow,
} from '../sql/repositories/invariants-repository';
import { heartbeatIfActivity } from './activity-context';
import { EXPIRY_TOLERANCE_MS } from './diff-panel-clients';
import { identityOf } from './panel-client-spec';
import type { InvariantReport, InvariantViolation } from './contracts/invariant-activities';

export type { InvariantKind, InvariantReport, InvariantViolation } from './contracts/invariant-activities';

/** Dependencies of the checker. */
export interface InvariantDeps {
  db: DatabasePool;
  panels: PanelResolver;
  /** Secret from which client identities derive (never logged). */
  clientIdSalt: string;
  /** Epoch ms now; default Date.now (the panel's expiries are compared with it). */
  now?: () => number;
}

/** Options of one check. */
export interface InvariantOptions {
  /**
   * Rows changed less than this many seconds ago are not judged yet (work in flight); default
   * {@link DEFAULT_SETTLE_SECONDS}. Tests that wait for their workflows pass 0.
   */
  settleSeconds?: number;
}

/** Default settle window of a check, in seconds. */
export const DEFAULT_SETTLE_SECONDS = 600;
/** Most violations a report lists. */
export const VIOLATION_LIMIT = 200;
/** The notification kinds that carry a subscription's key to its user. */
export const KEY_MESSAGE_KINDS = ['key_delivered', 'trial_started'] as const;

/** One of our clients as a panel holds it. */
interface PanelEntry {
  serverId: number;
  inboundId: number;
  enable: boolean;
  /** Epoch ms, 0 = never. */
  expiryTime: number;
}

function paymentViolation(row: PaymentApplicationRow): InvariantViolation {
  const ids = { paymentId: row.id, userId: row.user_id, ...(row.subscription_id === null ? {} : { subscriptionId: row.subscription_id }) };
  if (row.unapplied_settled) {
    return {
      kind: 'payment_unapplied',
      ...ids,
      summary: `payment ${row.id} is completed but was never applied (subscription ${row.subscription_id ?? 'none'})`,
    };
  }
  if (!row.applied) {
    return {
      kind: 'payment_period_wrong',
      ...ids,
      summary: `payment ${row.id} (${row.status}) moved a period ${row.extensions} time(s) but is not marked applied`,
    };
  }
  if (row.extensions > 1) {
    return {
      kind: 'payment_applied_twice',
      ...ids,
      summary: `payment ${row.id} moved subscription ${row.subscription_id ?? '?'}'s period ${row.extensions} times`,
    };
  }
  if (row.extensions === 0) {
    return {
      kind: 'payment_period_missing',
      ...ids,
      summary: `payment ${row.id} is marked applied but no period change or balance credit records it`,
    };
  }
  return {
    kind: 'payment_period_wrong',
    ...ids,
    summary: `payment ${row.id} added ${(row.extension_days ?? []).join('/')} day(s), the plan gives ${row.plan_days ?? '?'}`,
  };
}

/** Reads every panel that has a URL; our clients by email, and the servers it could not read. */
async function readPanels(
  deps: InvariantDeps,
): Promise<{ clients: Map<string, PanelEntry[]>; unreadable: Map<number, string>; read: number }> {
  const clients = new Map<string, PanelEntry[]>();
  const unreadable = new Map<number, string>();
  let read = 0;
  for (const serverId of await listPanelServerIds(deps.db, { activeOnly: false })) {
    heartbeatIfActivity({ panel: serverId });
    try {
      const { client } = await deps.panels.getPanel(serverId);
      for (const inbound of await client.listInbounds()) {
        for (const entry of inbound.clients) {
          const list = clients.get(entry.email) ?? [];
          list.push({ serverId, inboundId: inbound.id, enable: entry.enable, expiryTime: entry.expiryTime });
          clients.set(entry.email, list);
        }
      }
      read += 1;
    } catch (error) {
      // A panel that cannot be read (down, unconfigured, wrong key) is reported, not fatal.
      if (!(error instanceof AppError)) throw error;
      unreadable.set(serverId, error.code);
    }
  }
  return { clients, unreadable, read };
}

/**
 * Checks every invariant once and reports what is broken.
 *
 * @throws only when Postgres cannot be read; panel failures are reported as panel_unreachable
 */
export async function checkInvariants(deps: InvariantDeps, options: InvariantOptions = {}): Promise<InvariantReport> {
  const settleSeconds = options.settleSeconds ?? DEFAULT_SETTLE_SECONDS;
  const nowMs = (deps.now ?? Date.now)();
  const found: InvariantViolation[] = [];
  const add = (violation: InvariantViolation) => found.push(violation);

  for (const row of await listSuspectPayments(deps.db, { settleSeconds })) add(paymentViolation(row));

  const live = await listLiveSubscriptions(deps.db, { settleSeconds });
  const ended = await listEndedClientSubscriptions(deps.db, { settleSeconds });
  const panels = await readPanels(deps);
  heartbeatIfActivity({ panels: panels.read });
  const reportedUnreachable = new Set<number>();
  const isLive = (entry: PanelEntry) => entry.enable && (entry.expiryTime <= 0 || entry.expiryTime > nowMs);

  const checkLive = (row: SettledSubscriptionRow) => {
    const ids = { subscriptionId: row.id, userId: row.user_id, ...(row.server_id === null ? {} : { serverId: row.server_id }) };
    if (row.overdue)
      add({
        kind: 'subscription_overdue',
        ...ids,
        summary: `subscription ${row.id} is still active after its end ${row.end_date?.toISOString() ?? ''}`,
      });
    if (!row.settled) return;
    if (!row.server_slot_held || row.server_id === null) {
      add({
        kind: 'slot_not_held',
        ...ids,
        summary: `active subscription ${row.id} holds no server slot (server ${row.server_id ?? 'none'})`,
      });
    }
    if (row.server_id === null) {
      add({ kind: 'client_missing', ...ids, summary: `active subscription ${row.id} was never placed on a server` });
      return;
    }
    const unreadable = panels.unreadable.get(row.server_id);
    if (unreadable !== undefined) {
      if (!reportedUnreachable.has(row.server_id)) {
        reportedUnreachable.add(row.server_id);
        add({
          kind: 'panel_unreachable',
          serverId: row.server_id,
          summary: `the panel of server ${row.server_id} could not be read (${unreadable}); its active subscriptions were not checked`,
        });
      }
      return;
    }
    const email = identityOf(row.id, row, deps.clientIdSalt).email;
    const liveEntries = (panels.clients.get(email) ?? []).filter(isLive);
    const here = liveEntries.filter((entry) => entry.serverId === row.server_id);
    if (here.length === 0) {
      add({ kind: 'client_missing', ...ids, summary: `active subscription ${row.id} has no live client on server ${row.server_id}` });
    }
    if (liveEntries.length > 1) {
      const where = liveEntries.map((entry) => `${entry.serverId}/${entry.inboundId}`).join(', ');
      add({
        kind: 'client_duplicate',
        ...ids,
        summary: `subscription ${row.id} has ${liveEntries.length} live clients (server/inbound ${where})`,
      });
    }
    const endMs = row.end_date?.getTime() ?? 0;
    const wrong = here.find((entry) => Math.abs(entry.expiryTime - endMs) > EXPIRY_TOLERANCE_MS);
    if (wrong !== undefined && here.length === 1) {
      add({
        kind: 'client_expiry_mismatch',
        ...ids,
        summary: `subscription ${row.id}'s client expires ${new Date(wrong.expiryTime).toISOString()}, the period ends ${row.end_date?.toISOString() ?? 'never'}`,
      });
    }
  };
  for (const row of live) checkLive(row);

  for (const row of ended) {
    if (!row.settled) continue;
    const ids = { subscriptionId: row.id, userId: row.user_id, ...(row.server_id === null ? {} : { serverId: row.server_id }) };
    if (row.server_slot_held)
      add({
        kind: 'slot_leaked',
        ...ids,
        summary: `${row.status} subscription ${row.id} still holds a slot on server ${row.server_id ?? '?'}`,
      });
    const email = identityOf(row.id, row, deps.clientIdSalt).email;
    const liveEntries = (panels.clients.get(email) ?? []).filter(isLive);
    if (liveEntries.length > 0) {
      add({
        kind: 'client_live_unpaid',
        ...ids,
        summary: `${row.status} subscription ${row.id} still has a live client on server ${liveEntries[0]?.serverId ?? '?'}`,
      });
    }
  }

  for (const server of await listSlotCountMismatches(deps.db)) {
    add({
      kind: 'slot_count_mismatch',
      serverId: server.server_id,
      summary: `server ${server.server_id} counts ${server.current_users} users but ${server.holding} subscriptions hold a slot there and ${server.moving_in} are moving in`,
    });
  }

  for (const row of await listUndeliveredKeys(deps.db, { settleSeconds, kinds: KEY_MESSAGE_KINDS })) {
    add({
      kind: 'key_not_delivered',
      subscriptionId: row.subscription_id,
      userId: row.user_id,
      summary: `the user of subscription ${row.subscription_id} has no key message (${row.status === null ? 'none recorded' : `last one ${row.status}`})`,
    });
  }

  for (const user of await listBalanceMismatches(deps.db)) {
    if (user.balance !== user.ledger) {
      add({
        kind: 'balance_mismatch',
        userId: user.id,
        summary: `user ${user.id}'s balance is ${user.balance} but the ledger sums to ${user.ledger}`,
      });
    }
    if (user.balance.startsWith('-'))
      add({ kind: 'balance_negative', userId: user.id, summary: `user ${user.id}'s balance is negative (${user.balance})` });
  }

  const counts = await countCheckedRows(deps.db);
  return {
    checkedAt: new Date(nowMs).toISOString(),
    ok: found.length === 0,
    checked: { payments: counts.payments, activeSubscriptions: counts.active_subscriptions, users: counts.users, panels: panels.read },
    violations: found.slice(0, VIOLATION_LIMIT),
    omitted: Math.max(0, found.length - VIOLATION_LIMIT),
  };
}
