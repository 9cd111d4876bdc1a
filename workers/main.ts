/**
 * The worker process's composition root: parse config once, build the pool, the one Temporal
 * connection (workers/temporal-connection.ts) and the worker, run until SIGINT/SIGTERM, then close everything in order.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createDbPool } from '../lib/db/create-pool';
import { createLogger } from '../lib/logger';
import { createPaymentProviders } from '../lib/payments/payments-config';
import { ensureSchedules } from '../clients/ensure-schedules';
import { createPanelResolver } from '../usecases/panel-for-server';
import { createTelegramSender } from '../activities/telegram-sender';
import { createBroadcastSender } from '../activities/broadcast-sender';
import { createStarsBotApi } from '../lib/payments/stars/create-stars-bot-api';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../workflows/subscription-lifecycle';
import { alertChatIds, backupSettings, loadWorkerConfig } from './config';
import { createWorker } from './create-worker';
import { connectWorkerTemporal } from './temporal-connection';
import { createTemporalRuntimeLogger } from './temporal-runtime-logger';
import { registerBusinessMetrics } from '../lib/observability/business-metrics';
import { alertMetricsInterceptor, createAlertCounter } from '../activities/alert-metrics';
import { startOpsServer } from '../lib/observability/ops-server';
import { countingFetch, createPanelCallCounter, createProcessRegistry } from '../lib/observability/process-metrics';

const config = loadWorkerConfig();
const prebuiltBundle = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }).child({ component: 'worker' });

Runtime.install({
  logger: createTemporalRuntimeLogger(logger),
  telemetryOptions: {
    logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
    // The SDK's own metrics (task slots, poll and schedule-to-start latencies, failures).
    ...(config.TEMPORAL_METRICS_PORT === 'disabled'
      ? {}
      : { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.TEMPORAL_METRICS_PORT}` } } }),
  },
});
const registry = createProcessRegistry('worker');
const panelCalls = createPanelCallCounter(registry);
let workerState = 'INITIALIZED';
const ops =
  config.METRICS_PORT === 'disabled'
    ? undefined
    : await startOpsServer({ port: config.METRICS_PORT, registry, healthy: () => workerState === 'RUNNING' });

const db = await createDbPool(config.DATABASE_URL, { maximumPoolSize: config.DATABASE_POOL_SIZE });
registerBusinessMetrics(registry, db);
const panels = createPanelResolver({
  fetchFor: (serverId) => countingFetch(panelCalls, serverId),
  db,
  secretBox: createSecretBox(config.PANEL_CREDENTIALS_KEY),
  timeoutMs: config.PANEL_TIMEOUT_MS,
  logger: logger.child({ component: 'panel' }),
});
const telegram = createTelegramSender({ token: config.TELEGRAM_BOT_TOKEN, apiRoot: config.TELEGRAM_API_ROOT });
const starsApi = createStarsBotApi({ token: config.TELEGRAM_BOT_TOKEN, apiRoot: config.TELEGRAM_API_ROOT });
const referralBonusKopecks = config.REFERRAL_BONUS_KOPECKS === 'disabled' ? null : BigInt(config.REFERRAL_BONUS_KOPECKS);
// One connection for the Worker and for the Client (schedules at start-up, activities that start
// and signal workflows); why one is enough: temporal-connection.ts.
const temporalConnection = await connectWorkerTemporal({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
const temporal = temporalConnection.client;
try {
  const schedules = await ensureSchedules(temporal, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    panelProbeIntervalSeconds: config.PANEL_PROBE_INTERVAL_SECONDS,
    failoverAfterSeconds: config.PANEL_FAILOVER_AFTER_SECONDS,
    autoReopenAfterSeconds: config.PANEL_AUTO_REOPEN ? config.PANEL_REOPEN_AFTER_SECONDS : 'disabled',
    trafficSyncIntervalSeconds: config.TRAFFIC_SYNC_INTERVAL_SECONDS,
    reconcileIntervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
    paymentReconcileIntervalSeconds: config.PAYMENT_RECONCILE_INTERVAL_SECONDS,
    paymentReconcileAfterMinutes: config.PAYMENT_RECONCILE_AFTER_MINUTES,
    orphanSweep: {
      intervalSeconds: config.ORPHAN_SWEEP_INTERVAL_SECONDS,
      olderThanSeconds: config.ORPHAN_SWEEP_AFTER_SECONDS,
      limitPerSweep: config.ORPHAN_SWEEP_LIMIT,
    },
    invariantsCheckIntervalSeconds: config.INVARIANTS_CHECK_INTERVAL_SECONDS,
    starsReconcileIntervalSeconds:
      config.STARS_RECONCILE_INTERVAL_SECONDS === 'disabled' ? undefined : config.STARS_RECONCILE_INTERVAL_SECONDS,
    starsSettleAfterSeconds: config.STARS_SETTLE_AFTER_SECONDS,
    backupIntervalSeconds: config.BACKUP_DIR === undefined ? 'disabled' : config.BACKUP_INTERVAL_SECONDS,
  });
  logger.info({ schedules }, 'schedules ensured');
  const worker = await createWorker({
    connection: temporalConnection.connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      db,
      logger,
      panels,
      clientIdSalt: config.CLIENT_ID_SALT,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      telegram,
      starsApi,
      referralBonusKopecks,
      reconcileMaxDestructivePerRun: config.RECONCILE_MAX_DESTRUCTIVE_PER_RUN,
      referralBonusPercent: config.REFERRAL_BONUS_PERCENT === 'disabled' ? null : config.REFERRAL_BONUS_PERCENT,
      lifecycle: {
        ...DEFAULT_LIFECYCLE_SETTINGS,
        reminderOffsetsHours: config.LIFECYCLE_REMINDER_OFFSETS_HOURS,
        graceHours: config.LIFECYCLE_GRACE_HOURS,
        autoRenewLeadHours: config.AUTO_RENEW_LEAD_HOURS,
        provisionDelayNoticeSeconds: config.PROVISION_DELAY_NOTICE_SECONDS,
      },
      temporal,
      backups: backupSettings(config),
      broadcastSender: createBroadcastSender({ token: config.TELEGRAM_BOT_TOKEN, apiRoot: config.TELEGRAM_API_ROOT }),
      alerts: {
        chatIds: alertChatIds(config),
        maxPerKindPerMinute: config.ALERT_MAX_PER_KIND_PER_MINUTE,
        knownSecrets: [
          config.TELEGRAM_BOT_TOKEN,
          config.CLIENT_ID_SALT,
          config.PANEL_CREDENTIALS_KEY,
          config.YOOKASSA_SECRET_KEY,
          config.CRYPTOPAY_TOKEN,
          config.SANDBOX_PAY_SECRET,
        ].filter((secret): secret is string => typeof secret === 'string'),
      },
      payments: {
        providers: createPaymentProviders(config, { logger: logger.child({ component: 'payments' }) }),
        temporal: { client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE },
        returnUrl: config.PAYMENT_RETURN_URL ?? `${config.PUBLIC_BASE_URL}/payments/return`,
      },
    },
    shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
    tuning: {
      maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    },
    // Built beside dist/worker.js by `npm run build`; from source the worker bundles at start.
    ...(existsSync(prebuiltBundle) ? { workflowBundlePath: prebuiltBundle } : {}),
    overrides: { interceptors: { activity: [alertMetricsInterceptor(createAlertCounter(registry))] } },
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker started');
  const running = worker.run();
  workerState = worker.getState();
  await running;
  workerState = worker.getState();
  logger.info('worker stopped');
} finally {
  await ops?.close();
  await temporalConnection.close();
  await db.end();
}
