/**
 * The webhook API as production builds it (api/create-app.ts), on a free local port: provider
 * webhooks are verified with `providers` and their verdicts signalled to the payment workflows on
 * `target`. Tests point the fake providers' webhook URLs at `apiUrl`.
 */
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../api/create-app';
import type { DatabasePool } from '../../lib/db/create-pool';
import { createLogger } from '../../lib/logger';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import { signalPaymentVerdict, type PaymentWorkflowTarget } from '../../clients/payment-workflow-client';

/** A listening webhook API and its base URL (`http://127.0.0.1:<port>`). */
export interface WebhookApi {
  app: FastifyInstance;
  apiUrl: string;
}

/** Starts the webhook API; the caller closes `app`. */
export async function startWebhookApi(input: {
  db: DatabasePool;
  providers: PaymentProviders;
  target: PaymentWorkflowTarget;
}): Promise<WebhookApi> {
  const { target } = input;
  const app = createApp({
    logger: createLogger({ level: 'silent' }),
    readinessChecks: {},
    trustProxy: true,
    webhooks: { db: input.db, providers: input.providers, signalVerdict: (payment, hint) => signalPaymentVerdict(target, payment, hint) },
  });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  return { app, apiUrl: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}` };
}
