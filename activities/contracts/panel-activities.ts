/**
 * The contract of the panel activities (implemented in activities/panel-activities.ts): the
 * subscription's client on a 3X-UI panel, traffic counters and the health probe. Each fails with
 * an ApplicationFailure typed by its error code; every panel exchange is time-bounded.
 */
import type {
  ClientChangeResult,
  DeleteClientResult,
  DisableClientResult,
  ProbePanelResult,
  ProvisionClientResult,
  SyncTrafficResult,
} from './panel-activity-results';

/** Input of `provisionClient`. */
export interface ProvisionClientInput {
  subscriptionId: number;
  /** Move the client off `fromServerId` (to `toServerId` when given and possible). */
  move?: { fromServerId: number; toServerId?: number };
}

/** The panel activities. */
export interface PanelActivities {
  /**
   * Gives an active subscription a live panel client and returns the server it lives on (with
   * `move`: on another server, the old client left for the caller to delete).
   * @idempotency subscriptionId (+move.fromServerId: once moved, the move is a no-op)
   */
  provisionClient(input: ProvisionClientInput): Promise<ProvisionClientResult>;
  /** Disables the subscription's client. @idempotency subscriptionId: disabling a disabled or absent client changes nothing */
  disableClient(input: { subscriptionId: number }): Promise<DisableClientResult>;
  /** Re-enables the client with a new expiry. @idempotency subscriptionId+expiresAt */
  enableClient(input: { subscriptionId: number; expiresAt: string | Date }): Promise<ClientChangeResult>;
  /** Moves the client's expiry to the new end of the period. @idempotency subscriptionId+expiresAt */
  extendClient(input: { subscriptionId: number; expiresAt: string | Date }): Promise<ClientChangeResult>;
  /** Deletes the client from one server (`reason: 'moved'`: the old client of a move). @idempotency subscriptionId+serverId */
  deleteClient(input: { subscriptionId: number; serverId: number; reason?: 'moved' }): Promise<DeleteClientResult>;
  /** Stores the panel's traffic counters of the server's subscriptions. @idempotency serverId */
  syncTraffic(input: { serverId: number }): Promise<SyncTrafficResult>;
  /** Probes the server's panel and records the verdict. @idempotency serverId */
  probePanel(input: { serverId: number }): Promise<ProbePanelResult>;
}
