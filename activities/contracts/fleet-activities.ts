/**
 * The contract of the fleet activities (implemented in activities/fleet-activities.ts): which
 * servers the panel health probe, failover and traffic sync visit, and telling subscription
 * workflows to move.
 */

/** Result of `signalMoveToServer`. */
export interface SignalMovesResult {
  /** Subscriptions whose workflow received the signal. */
  signalled: number[];
  /** Subscriptions with no running `subscription-{id}` workflow (an operator must look). */
  missing: number[];
}

/** The fleet activities. */
export interface FleetActivities {
  /** Servers with a panel (only active ones when `activeOnly`). @idempotency read-only */
  listPanelServers(input: { activeOnly: boolean }): Promise<number[]>;
  /** Active servers whose panel has been down at least `downForSeconds`. @idempotency read-only */
  listFailoverCandidates(input: { downForSeconds: number }): Promise<number[]>;
  /** Takes the server out of placement for failover. @idempotency serverId */
  deactivateServerForFailover(input: { serverId: number }): Promise<{ changed: boolean }>;
  /**
   * Re-opens servers closed by failover whose panel has been healthy for `healthyForSeconds`
   * (audited, one server_reopened alert each); operator-closed ones stay closed. @idempotency a re-opened server is no longer a candidate
   */
  reopenHealthyServers(input: { healthyForSeconds: number }): Promise<number[]>;
  /** Active subscriptions placed on the server. @idempotency read-only */
  listActiveSubscriptionsOnServer(input: { serverId: number }): Promise<number[]>;
  /** Signals `moveToServer` to each subscription's workflow. @idempotency the workflow ignores a move already made */
  signalMoveToServer(input: {
    fromServerId: number;
    subscriptionIds: number[];
    reason: 'failover' | 'operator';
  }): Promise<SignalMovesResult>;
  /**
   * Re-opens servers failover closed that have been healthy for `healthyForSeconds` (audited, one
   * operator alert each); never a server an operator closed.
   * @idempotency healthyForSeconds: an opened server is no longer a candidate
   * @returns the ids opened by this call
   */
  reopenHealthyServers(input: { healthyForSeconds: number }): Promise<number[]>;
}
