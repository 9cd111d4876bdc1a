/**
 * The contract of the panel reconciler (implemented in activities/reconcile-activities.ts and
 * activities/diff-panel-clients.ts): what it found on a panel and what it did about it.
 */

/** Why a client of ours should not be on this panel. */
export type ExtraReason = 'moved' | 'cancelled' | 'expired';

/** A difference between the panel and the database. `fix` null means report only. */
export type PanelFinding =
  | { kind: 'missing'; fix: 'recreate'; subscriptionId: number; email: string; expectedExpiryMs: number }
  | { kind: 'extra'; fix: 'delete'; subscriptionId: number; email: string; inboundId: number; reason: ExtraReason }
  /** An extra client left disabled because it is its inbound's last one (a v2 panel refuses that delete). */
  | { kind: 'kept-last'; fix: null; subscriptionId: number; email: string; inboundId: number; reason: ExtraReason }
  | {
      kind: 'drift';
      fix: 'update';
      subscriptionId: number;
      email: string;
      inboundId: number;
      enable?: { panel: boolean; expected: boolean };
      expiryTime?: { panel: number; expected: number };
    }
  | { kind: 'identity-conflict'; fix: null; subscriptionId: number; email: string; inboundId: number }
  | { kind: 'other-row'; fix: null; subscriptionId: number; email: string; inboundId: number; ownerServerId: number }
  | { kind: 'duplicate'; fix: null; by: 'email' | 'uuid'; email: string | null; subscriptionIds: number[]; clients: number }
  | { kind: 'unverified'; fix: null; email: string; inboundId: number; reason: 'no-subscription' | 'unplaced' | 'pending' }
  | { kind: 'foreign'; fix: null; inboundId: number; clients: number };

/** A finding the reconciler could not or would not repair, with why. */
export type UnresolvedFinding = PanelFinding & { error?: string };

/** Result of `reconcilePanel`: what was repaired and what an operator should look at. */
export interface ReconcileReport {
  serverId: number;
  /** False when the panel could not be read (nothing was compared). */
  reachable: boolean;
  /** Error code when unreachable or not configured, else null. */
  error: string | null;
  /** Clients on the inbounds this server row sells (other rows on the same panel judge theirs). */
  clients: number;
  /** Repairs made, one audit row each (at most REPORT_LIMIT listed). */
  fixed: PanelFinding[];
  /**
   * Lost clients handed to their subscription's workflow (`ensureClient` signal, one audit row
   * each, `panel_client.ensure_requested`), which re-creates them (at most REPORT_LIMIT listed).
   */
  signalled: PanelFinding[];
  /** Report-only findings and failed repairs (at most REPORT_LIMIT listed). */
  unresolved: UnresolvedFinding[];
  /** Findings left out of the lists above to keep the result small. */
  omitted: number;
}

/** The reconciler activity. */
export interface ReconcileActivities {
  /**
   * Reconciles one server's panel with the database: repairs what is safe, hands lost clients to
   * their workflow, reports the rest. @idempotency serverId: a second pass finds nothing left to repair
   */
  reconcilePanel(input: { serverId: number }): Promise<ReconcileReport>;
}
