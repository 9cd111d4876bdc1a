/**
 * The api process's composition root: config once, pool, Temporal client connection, payment
 * providers, fastify (with the webhook dispatcher, started when the app is ready). Stops cleanly on
 * SIGINT/SIGTERM (stops accepting, finishes requests and the dispatcher's round, closes pools).
 */
import { Client, Connection } from '@temporalio/client';
import { createDbPool } from '../lib/db/create-pool';
import { createLogger } from '../lib/logger';
import { createPaymentProviders } from '../lib/payments/payments-config';
import { signalPaymentVerdict } from '../clients/payment-workflow-client';
import { loadApiConfig } from './config';
import { createApp } from './create-app';
import { postgresCheck, temporalCheck } from './readiness';
import { startOpsServer, type OpsServer } from '../lib/observability/ops-server';
import {
  createProcessRegistry,
  createWebhookCounter,
  createWebhookDispatchCounter,
  createWebhookDuplicateCounter,
} from '../lib/observability/process-metrics';

/** Longest wait for Temporal to take one verdict signal from the webhook dispatcher, in milliseconds. */
const SIGNAL_DEADLINE_MS = 10_000;

const config = loadApiConfig();
const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }).child({ component: 'api' });
// No DISCARD ALL per released connection: the api's queries leave no session state behind, and the
// reset doubled the round trips of every webhook (issue 15).
const db = await createDbPool(config.DATABASE_URL, { resetOnRelease: false });
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const paymentWorkflows = {
  client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  timeoutMinutes: config.PAYMENT_TIMEOUT_MINUTES,
};
const registry = createProcessRegistry('api');
const app = createApp({
  logger,
  metrics: {
    webhooks: createWebhookCounter(registry),
    webhookDuplicates: createWebhookDuplicateCounter(registry),
    webhookDispatch: createWebhookDispatchCounter(registry),
  },
  db,
  readinessChecks: { postgres: postgresCheck(db), temporal: temporalCheck(connection) },
  trustProxy: config.TRUST_PROXY,
  publicBaseUrl: config.PUBLIC_BASE_URL,
  webhooks: {
    db,
    providers: createPaymentProviders(config, { logger: logger.child({ component: 'payments' }) }),
    // Bounded: the dispatcher holds the event's row lock meanwhile, and shutdown waits for its round.
    signalVerdict: (payment, hint) =>
      paymentWorkflows.client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => signalPaymentVerdict(paymentWorkflows, payment, hint)),
  },
});

let ops: OpsServer | undefined;
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping');
  await app.close();
  await ops?.close();
  await connection.close();
  await db.end();
  process.exit(0);
};
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

await app.listen({ port: config.API_PORT, host: config.API_HOST });
// After listen: `stop` (on a signal) may run as soon as the server is up.
ops =
  config.METRICS_PORT === 'disabled' ? undefined : await startOpsServer({ port: config.METRICS_PORT, registry, healthy: () => !stopping });
