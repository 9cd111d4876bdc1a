/**
 * Names operators see: workflow type names, workflow ID prefixes, schedule IDs, task queue
 * defaults, signal/update/query names and custom search attributes. They appear in the Temporal UI, in saved queries and in running histories, so they
 * are part of the product's API: never rename one; retire it by listing it at the bottom.
 *
 * No personal data or secret ever goes into a workflow ID or a search attribute value: IDs and
 * attributes hold internal numeric ids and enum values only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Workflow type names: the exported function names of workflows/index.ts (the TypeScript SDK
 * registers a workflow under its function's name). clients/ starts workflows by these names;
 * workflows/contract.test.ts checks that each one names an exported workflow and the reverse.
 */
export const WorkflowType = {
  subscription: 'subscriptionWorkflow',
  payment: 'paymentWorkflow',
  panelHealth: 'panelHealthWorkflow',
  serverFailover: 'serverFailoverWorkflow',
  trafficSync: 'trafficSyncWorkflow',
  panelReconcile: 'panelReconcileWorkflow',
  paymentReconcile: 'paymentReconcileWorkflow',
  orphanSweep: 'orphanSweepWorkflow',
  invariantsCheck: 'invariantsCheckWorkflow',
  starsCharge: 'starsChargeWorkflow',
  starsReconcile: 'starsReconcileWorkflow',
  databaseBackup: 'databaseBackupWorkflow',
  broadcast: 'broadcastWorkflow',
} as const;

/** A workflow type name. */
export type WorkflowTypeName = (typeof WorkflowType)[keyof typeof WorkflowType];

/**
 * The task queue every workflow and activity runs on when TEMPORAL_TASK_QUEUE is not set. The
 * configuration (lib/config/fields.ts, which may import only lib/) holds its own copy of the
 * default; workflows/contract.test.ts checks the two agree.
 */
export const DEFAULT_TASK_QUEUE = 'subscriptions';

/** Workflow ID prefixes; the rest of the ID is an internal numeric id. */
export const WorkflowIdPrefix = {
  subscription: 'subscription-',
  payment: 'payment-',
  failover: 'failover-server-',
  /** `invariants-request-{requestId}`: an operator's /invariants run (request id `tg-<update_id>`). */
  invariantsRequest: 'invariants-request-',
  /** `stars-charge-{stars_charges.id}`: settles one Telegram Stars charge (apply or refund). */
  starsCharge: 'stars-charge-',
  /** `broadcast-{broadcasts.id}`: one operator broadcast. */
  broadcast: 'broadcast-',
} as const;

/** Schedule IDs (Temporal Schedules, not cron): one per global periodic job. */
export const ScheduleId = {
  panelHealth: 'panel-health-probe',
  trafficSync: 'traffic-sync',
  panelReconcile: 'panel-reconcile',
  paymentReconcile: 'payment-reconcile',
  /** Sweeps orphans a crash can leave (unapplied payments, clientless subscriptions, late provider successes). */
  orphanSweep: 'orphan-sweep',
  /** Checks the invariants (activities/invariants.ts) and alerts operators about violations. */
  invariantsCheck: 'invariants-check',
  /** Reads getStarTransactions and settles every Stars charge without a completed payment. */
  starsReconcile: 'stars-reconcile',
  /** pg_dump of the database to BACKUP_DIR, keeping BACKUP_KEEP, reported to the operators. */
  databaseBackup: 'database-backup',
} as const;

/** `failover-server-{serverId}`: moves a dead server's subscriptions elsewhere (one at a time per server). */
export function failoverWorkflowId(serverId: number): string {
  return `${WorkflowIdPrefix.failover}${serverId}`;
}

/** `invariants-request-{requestId}`: one operator's check; a redelivered command joins the same run. */
export function invariantsRequestWorkflowId(requestId: string): string {
  return `${WorkflowIdPrefix.invariantsRequest}${requestId}`;
}

/** `stars-charge-{chargeId}` (`stars_charges.id`, never Telegram's charge id). */
export function starsChargeWorkflowId(chargeId: number): string {
  return `${WorkflowIdPrefix.starsCharge}${chargeId}`;
}

/** `broadcast-{broadcastId}` (`broadcasts.id`). */
export function broadcastWorkflowId(broadcastId: number): string {
  return `${WorkflowIdPrefix.broadcast}${broadcastId}`;
}

/** `subscription-{subscriptionId}` */
export function subscriptionWorkflowId(subscriptionId: number): string {
  return `${WorkflowIdPrefix.subscription}${subscriptionId}`;
}

/** `payment-{paymentId}` */
export function paymentWorkflowId(paymentId: number): string {
  return `${WorkflowIdPrefix.payment}${paymentId}`;
}

/** Signal names. */
export const SignalName = {
  /** subscription: a payment for it completed (deduplicated by paymentId). */
  paymentCompleted: 'paymentCompleted',
  /** subscription: grant the free trial (once per user). */
  trialGranted: 'trialGranted',
  /** subscription: operator or user cancels. */
  cancel: 'cancel',
  /** subscription: failover asks to move off a dead server. */
  moveToServer: 'moveToServer',
  /**
   * subscription: a sweep or the reconciler found an active subscription whose client is missing
   * or not live; the workflow makes sure the client exists (idempotent, through its own loop).
   */
  ensureClient: 'ensureClient',
  /** payment: the provider's webhook (or the reconciler) says the verdict may be in. */
  paymentVerdict: 'paymentVerdict',
  /** broadcast: stop claiming deliveries, finish and report. */
  cancelBroadcast: 'cancelBroadcast',
} as const;

/** Update names (answered, validated). */
export const UpdateName = {
  /** subscription: operator extends the period by N days. */
  extend: 'extend',
  /** subscription: operator refunds a payment to the user's balance. */
  refundToBalance: 'refundToBalance',
  /** subscription: operator moves it to another server. */
  moveToServer: 'moveToServerNow',
  /** subscription: operator cancels and gets the final state back. */
  cancel: 'cancelNow',
  /** payment: waits until the invoice exists (or the balance was debited) and returns the payment state. */
  waitForInvoice: 'waitForInvoice',
} as const;

/** Query names. */
export const QueryName = {
  getState: 'getState',
  /** payment: phase, confirmation URL and outcome of `payment-{paymentId}`. */
  getPaymentState: 'getPaymentState',
  /** broadcast: delivery counts as of the last batch. */
  getBroadcastProgress: 'getBroadcastProgress',
} as const;

/** Internal users.id of the subscription's owner (never the Telegram id or username). */
export const UserIdAttribute = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
/** Lifecycle status: awaiting_payment, provisioning, active, grace, expired, cancelled. */
export const SubscriptionStatusAttribute = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);
/** subscription_plans.id of the current plan. */
export const PlanIdAttribute = defineSearchAttributeKey('PlanId', SearchAttributeType.KEYWORD);
/** vpn_servers.id the subscription's client lives on. */
export const ServerIdAttribute = defineSearchAttributeKey('ServerId', SearchAttributeType.KEYWORD);
/** When the paid period ends. */
export const ExpiresAtAttribute = defineSearchAttributeKey('ExpiresAt', SearchAttributeType.DATETIME);
/** Payment workflow status: pending, completed, failed, cancelled. */
export const PaymentStatusAttribute = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
/** Payment method: card, sbp, crypto, stars, balance. */
export const PaymentMethodAttribute = defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD);

/** Every custom search attribute, for registration on a namespace. */
export const SEARCH_ATTRIBUTES = [
  UserIdAttribute,
  SubscriptionStatusAttribute,
  PlanIdAttribute,
  ServerIdAttribute,
  ExpiresAtAttribute,
  PaymentStatusAttribute,
  PaymentMethodAttribute,
] as const;

/** Retired names (kept so nobody reuses them with another meaning): none yet. */
export const RETIRED_NAMES: readonly string[] = [];
