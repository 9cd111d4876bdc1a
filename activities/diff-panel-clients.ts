/**
 * The reconciler's judgement, as a pure function: what a server's panel holds versus what the
 * database says should live there, and which differences are safe to repair automatically.
 *
 * The database is the truth for who paid for what and where a subscription lives; the panel is
 * the truth for traffic. A repair is proposed only when it cannot take service away from someone
 * who paid (or give it to someone who did not) on a guess: clients the product did not make are
 * never touched, and a client whose uuid disagrees with the recorded identity is left to a human.
 */
import type { SubscriptionStatus } from '../sql/schemas/subscription-row';
import type { PanelFinding } from './contracts/reconcile-activities';

/** How a client the product made is named: `sub-<subscriptionId>-<8 hex>` (deriveClientIdentity). */
export const OWN_CLIENT_EMAIL = /^sub-(\d+)-[0-9a-f]{8}$/;

/** Expiry differences up to this many milliseconds are not drift (a panel may round to seconds). */
export const EXPIRY_TOLERANCE_MS = 1_000;

/**
 * Days after end_date during which an expired subscription's (disabled) client is kept, so a late
 * payment re-enables the same key; afterwards the reconciler deletes it.
 */
export const EXPIRED_CLIENT_RETENTION_DAYS = 30;

/** What the database says about one subscription whose client may be on the panel. */
export interface DbClientRow {
  subscriptionId: number;
  status: SubscriptionStatus;
  /** vpn_servers.id it lives (or lived) on; null when never placed. */
  serverId: number | null;
  /** Whether it holds a slot on serverId (false while a move or re-provisioning is under way). */
  slotHeld: boolean;
  /**
   * The server a two-phase move is bringing its client to (migration 0012); null or absent when
   * no move is under way. A client there is the workflow's work in progress, never "extra".
   */
  moveTargetServerId?: number | null;
  /** End of the paid period, epoch milliseconds; null while pending. */
  endsAtMs: number | null;
  /** The client's email: the recorded one, else the derived one. */
  email: string;
  /** The client's uuid: the recorded one, else the derived one. */
  uuid: string;
}

/** One client as the panel reports it. */
export interface PanelClientEntry {
  inboundId: number;
  email: string;
  uuid: string;
  enable: boolean;
  /** Epoch milliseconds, 0 = never. */
  expiryTime: number;
  /** up + down bytes from the client's traffic row (0 when the panel has none). */
  usedBytes: number;
  /** Quota in bytes, 0 = unlimited. */
  totalBytes: number;
}

/** The database side of one server. */
export interface ServerRows {
  serverId: number;
  /** Subscriptions recorded on this server, plus those the panel's own-looking emails name. */
  rows: readonly DbClientRow[];
  /**
   * Other server rows on the same panel (one row per inbound sold). A client of a subscription
   * living on one of them is that row's business: reported as `other-row`, never deleted here.
   */
  siblingServerIds?: readonly number[];
}

/** The panel side of one server. */
export interface PanelSnapshot {
  /** Inbounds the product manages on this panel; foreign clients are reported only there. */
  inboundIds: readonly number[];
  clients: readonly PanelClientEntry[];
  /** Clients per inbound on the whole panel, when `clients` holds only some of them; default counted from `clients`. */
  inboundSizes?: ReadonlyMap<number, number>;
  /** True when the panel refuses to delete an inbound's last client (v2); default false. */
  keepsLastClient?: boolean;
}

export type { ExtraReason, PanelFinding } from './contracts/reconcile-activities';

/** Options of {@link diffPanelClients}. */
export interface DiffOptions {
  /** Default {@link EXPIRED_CLIENT_RETENTION_DAYS} in milliseconds. */
  expiredRetentionMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * Compares a server's panel clients with the database rows and returns the findings, each with
 * the repair that is safe (or none):
 * - `missing` (recreate): active, holding its slot here, paid period not over, and absent.
 * - `extra` (delete): one of ours whose subscription now lives on another server (a move or
 *   failover left it behind), was cancelled, or expired more than the retention ago.
 * - `drift` (update): present where it should be, but the expiry differs from end_date, or the
 *   enabled flag disagrees with the paid state (enabled while expired; disabled while paid and
 *   not blocked by its traffic quota, which is the panel's own rightful verdict).
 * - `kept-last` (report only, on panels that keep an inbound's last client): an extra client already
 *   disabled that is its inbound's only client. A v2 panel refuses to delete an inbound's last client ("no client remained"), so the delete
 *   left it disabled once; trying again every run would only fail again.
 * - report only: an email shared by several clients or a uuid by several emails (`duplicate`), a
 *   recorded email with another uuid (`identity-conflict`), an own-looking email the database
 *   cannot vouch for (`unverified`), and clients the product did not make (`foreign`, counted per
 *   inbound; their emails may be personal data and are not repeated).
 * Subscriptions in the middle of a move (active without a slot, or a client on the server a move
 * is bringing it to) are skipped: their workflow is working on them.
 *
 * @param now the instant paid periods are compared with
 */
export function diffPanelClients(db: ServerRows, panel: PanelSnapshot, now: Date, options: DiffOptions = {}): PanelFinding[] {
  const nowMs = now.getTime();
  const retentionMs = options.expiredRetentionMs ?? EXPIRED_CLIENT_RETENTION_DAYS * DAY_MS;
  const rowsByEmail = new Map(db.rows.map((row) => [row.email, row]));
  const clientsByEmail = groupBy(panel.clients, (client) => client.email);
  const findings: PanelFinding[] = [];
  const foreignPerInbound = new Map<number, number>();
  const isOurs = (email: string) => rowsByEmail.has(email) || OWN_CLIENT_EMAIL.test(email);
  const perInbound = new Map<number, number>(panel.inboundSizes);
  if (panel.inboundSizes === undefined)
    for (const client of panel.clients) perInbound.set(client.inboundId, (perInbound.get(client.inboundId) ?? 0) + 1);

  for (const [email, clients] of clientsByEmail) {
    const row = rowsByEmail.get(email);
    const first = clients[0];
    if (first === undefined) continue;
    if (clients.length > 1) {
      findings.push({
        kind: 'duplicate',
        fix: null,
        by: 'email',
        email: isOurs(email) ? email : null,
        subscriptionIds: row ? [row.subscriptionId] : [],
        clients: clients.length,
      });
      continue;
    }
    if (row === undefined) {
      if (OWN_CLIENT_EMAIL.test(email))
        findings.push({ kind: 'unverified', fix: null, email, inboundId: first.inboundId, reason: 'no-subscription' });
      else if (panel.inboundIds.includes(first.inboundId))
        foreignPerInbound.set(first.inboundId, (foreignPerInbound.get(first.inboundId) ?? 0) + 1);
      continue;
    }
    const finding = judgeClient(db.serverId, row, first, nowMs, retentionMs, db.siblingServerIds ?? []);
    if (finding?.kind === 'extra' && panel.keepsLastClient === true && !first.enable && perInbound.get(first.inboundId) === 1)
      findings.push({ ...finding, kind: 'kept-last', fix: null });
    else if (finding !== null) findings.push(finding);
  }

  for (const [, clients] of groupBy(panel.clients, (client) => client.uuid)) {
    const emails = [...new Set(clients.map((client) => client.email))];
    if (emails.length < 2) continue;
    const subscriptionIds = emails.flatMap((email) => {
      const row = rowsByEmail.get(email);
      return row ? [row.subscriptionId] : [];
    });
    findings.push({ kind: 'duplicate', fix: null, by: 'uuid', email: null, subscriptionIds, clients: clients.length });
  }

  for (const row of db.rows) {
    if (clientsByEmail.has(row.email) || !shouldBePresent(db.serverId, row, nowMs) || row.endsAtMs === null) continue;
    findings.push({
      kind: 'missing',
      fix: 'recreate',
      subscriptionId: row.subscriptionId,
      email: row.email,
      expectedExpiryMs: row.endsAtMs,
    });
  }

  for (const [inboundId, clients] of foreignPerInbound) findings.push({ kind: 'foreign', fix: null, inboundId, clients });
  return findings;
}

/** Active, holding its slot on this server, and its paid period not over. */
function shouldBePresent(serverId: number, row: DbClientRow, nowMs: number): boolean {
  return row.serverId === serverId && row.status === 'active' && row.slotHeld && row.endsAtMs !== null && row.endsAtMs > nowMs;
}

/** The finding for one present client of a known subscription, or null when it is as it should be. */
function judgeClient(
  serverId: number,
  row: DbClientRow,
  client: PanelClientEntry,
  nowMs: number,
  retentionMs: number,
  siblingServerIds: readonly number[],
): PanelFinding | null {
  const base = { subscriptionId: row.subscriptionId, email: row.email, inboundId: client.inboundId };
  if (client.uuid !== row.uuid) return { kind: 'identity-conflict', fix: null, ...base };
  if (row.serverId === null) return { kind: 'unverified', fix: null, email: row.email, inboundId: client.inboundId, reason: 'unplaced' };
  if (row.serverId !== serverId) {
    if (row.moveTargetServerId === serverId) return null;
    // Another row on this very panel: a delete by email could remove that row's paid client.
    if (siblingServerIds.includes(row.serverId)) return { kind: 'other-row', fix: null, ...base, ownerServerId: row.serverId };
    return { kind: 'extra', fix: 'delete', ...base, reason: 'moved' };
  }

  switch (row.status) {
    case 'pending':
      return { kind: 'unverified', fix: null, email: row.email, inboundId: client.inboundId, reason: 'pending' };
    case 'cancelled':
      return { kind: 'extra', fix: 'delete', ...base, reason: 'cancelled' };
    case 'expired':
      if (row.endsAtMs !== null && nowMs - row.endsAtMs > retentionMs) return { kind: 'extra', fix: 'delete', ...base, reason: 'expired' };
      return drift(base, client, row.endsAtMs, false);
    case 'active': {
      if (!row.slotHeld || row.endsAtMs === null) return null;
      const quotaSpent = client.totalBytes > 0 && client.usedBytes >= client.totalBytes;
      const expectEnabled = row.endsAtMs > nowMs && !quotaSpent ? true : undefined;
      return drift(base, client, row.endsAtMs, expectEnabled);
    }
  }
}

/** A drift finding when the expiry or (when `expectedEnable` is given) the enabled flag differs. */
function drift(
  base: { subscriptionId: number; email: string; inboundId: number },
  client: PanelClientEntry,
  expectedExpiryMs: number | null,
  expectedEnable: boolean | undefined,
): PanelFinding | null {
  const finding: Extract<PanelFinding, { kind: 'drift' }> = { kind: 'drift', fix: 'update', ...base };
  if (expectedExpiryMs !== null && Math.abs(client.expiryTime - expectedExpiryMs) > EXPIRY_TOLERANCE_MS) {
    finding.expiryTime = { panel: client.expiryTime, expected: expectedExpiryMs };
  }
  if (expectedEnable !== undefined && client.enable !== expectedEnable) finding.enable = { panel: client.enable, expected: expectedEnable };
  return finding.expiryTime === undefined && finding.enable === undefined ? null : finding;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
