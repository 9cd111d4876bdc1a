import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Timeouts and retry policy per dependency, defined once. Every proxyActivities call in
 * workflows/ picks one of these; none relies on Temporal's unlimited default retries.
 */
export const ActivityProfile = {
  /** Postgres: fast, retried briefly (a failover or a lock timeout), then surfaced. */
  database: {
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: '5 minutes',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
  /**
   * 3X-UI panels from the subscription workflow: a few minutes of quick retries per call, never a
   * day. A panel outage delays a key but never loses a paid order: the workflow parks the failed
   * step and retries it with backoff (subscription-parking.ts), telling the user once, and the next
   * attempt may pick another healthy server. Rejections, refused credentials and a server without
   * panel settings are not retried here (the workflow's parking retries them later).
   */
  panel: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '3 minutes',
    heartbeatTimeout: '20 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: ['PANEL_REJECTED', 'PANEL_AUTH_FAILED', 'PANEL_NOT_CONFIGURED'],
    },
  },
  /** Telegram Bot API: 429s are honoured inside the activity; retry for an hour. */
  telegram: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '1 hour',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: ['TELEGRAM_BLOCKED'],
    },
  },
  /** Payment provider APIs: idempotency keys make retries safe; bounded to 30 minutes. */
  payments: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '30 minutes',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: ['PAYMENT_REJECTED'],
    },
  },
  /**
   * Calls to the Temporal frontend from an activity (signal-with-start of another workflow): a
   * completed payment must reach its subscription, so retries go on for a day.
   */
  temporal: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '24 hours',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  },
  /**
   * Periodic panel sweeps (health probe, traffic sync, reconciler) run by Schedules: the next
   * scheduled run is the real retry, so each call gets a few quick attempts, never a day of them,
   * and a dead panel cannot pile up work behind it. Heartbeats catch a hung worker.
   */
  panelSweep: {
    startToCloseTimeout: '10 minutes',
    scheduleToCloseTimeout: '15 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['PANEL_REJECTED', 'PANEL_AUTH_FAILED', 'NOT_FOUND'],
    },
  },
  /**
   * pg_dump of the whole database (the database-backup Schedule): minutes, heartbeating while the
   * child process runs; three attempts, then the next scheduled run is the retry.
   */
  backup: {
    startToCloseTimeout: '45 minutes',
    scheduleToCloseTimeout: '50 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      initialInterval: '10 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['CONFIG_INVALID', 'INVALID_INPUT'],
    },
  },
  /**
   * One broadcast batch (at most 30 s of sends): heartbeats on every send, so a dead worker's batch
   * is retried by another within 10 s; the claims make the retry send only what is still pending.
   */
  broadcast: {
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: ['CONFIG_INVALID', 'NOT_FOUND'],
    },
  },
} as const satisfies Record<string, ActivityOptions>;

/**
 * Local activities: short, idempotent Postgres steps on the key path (the lifecycle settings,
 * applying a payment, granting a trial) run inside the workflow task that needs them instead of
 * going through the server as an activity task and back as another workflow task. Same timeouts
 * and retries as `database`; past `localRetryThreshold` the backoff becomes a durable timer.
 * They use the worker's local-activity slots (WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES), not the
 * slots panel and Telegram calls hold.
 */
export const LocalActivityProfile = {
  database: {
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: '5 minutes',
    localRetryThreshold: '10 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
  /** confirmPayment: one status read at the provider (and a row update); `payments` bounds. */
  payments: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '30 minutes',
    localRetryThreshold: '10 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: ['PAYMENT_REJECTED'],
    },
  },
} as const satisfies Record<string, LocalActivityOptions>;

/**
 * Patch marker: the subscription workflow runs getLifecycleSettings, applyPayment and grantTrial
 * as local activities. Runs recorded before it replay them as activities. Exported for replay tests.
 */
export const LOCAL_DATABASE_STEPS_PATCH = 'local-database-steps';

/**
 * Patch marker: the payment workflow runs confirmPayment as a local activity, so a verdict signal
 * is confirmed and the hand-off scheduled in one workflow task. Local activities may run again
 * when their workflow task's completion is refused (a signal arrived meanwhile): only idempotent
 * steps whose repeat is invisible are local (confirmPayment re-reads the provider and completes
 * the row once; the lifecycle steps answer a repeat with the recorded result).
 */
export const LOCAL_PAYMENT_STEPS_PATCH = 'local-payment-steps';
