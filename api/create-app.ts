import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DatabasePool } from '../lib/db/create-pool';
import type { Logger } from '../lib/logger';
import {
  webhookOutcome,
  type createWebhookCounter,
  type createWebhookDispatchCounter,
  type createWebhookDuplicateCounter,
} from '../lib/observability/process-metrics';
import { registerRateLimits, type RateLimitSettings } from './rate-limiter';
import { runReadinessChecks, type ReadinessCheck } from './readiness';
import { registerImportPageRoute } from './routes/import-page-route';
import { registerPaymentReturnRoute } from './routes/payment-return-route';
import { registerSubscriptionFeedRoute, type SubscriptionFeedOptions } from './routes/subscription-feed-route';
import { registerWebhookRoutes, type WebhookRouteOptions } from './routes/webhook-routes';
import { createWebhookDispatcher } from './webhook-dispatcher';
import { createWebhookVerification, WEBHOOK_PROVIDERS, type WebhookVerification } from './webhook-verification';

/** Dependencies of the api. */
export interface AppDeps {
  logger: Logger;
  /** Named checks behind /readyz (postgres, temporal). */
  readinessChecks: Record<string, ReadinessCheck>;
  /** Per-check timeout for /readyz, in milliseconds; default 2 000. */
  readinessTimeoutMs?: number;
  /** The database; when given, `GET /sub/:token` (the subscription feed) is served. */
  db?: DatabasePool | undefined;
  /** Presentation of the subscription feed (profile title, refresh interval, support URL). */
  subscriptionFeed?: Omit<SubscriptionFeedOptions, 'db'> | undefined;
  /**
   * Payment providers, database and verdict hand-off; when given, `POST /webhooks/:provider` is
   * served and the webhook dispatcher (api/webhook-dispatcher.ts) runs while the app is ready
   * (started by `ready`/`listen`, stopped by `close`).
   */
  webhooks?: WebhookRouteOptions | undefined;
  /**
   * fastify `trustProxy`: which proxies may set X-Forwarded-For (`request.ip` feeds the YooKassa
   * source-IP check). Default false: the socket address is the client.
   */
  trustProxy?: boolean | string | string[] | undefined;
  /** Rate limits per client IP (api/rate-limiter.ts); defaults when omitted. */
  rateLimits?: Partial<RateLimitSettings> | undefined;
  /** Public base URL of the api; when given, `GET /import/:app/:token` (one-tap import into VPN apps) is served. */
  publicBaseUrl?: string | undefined;
  /** Counters the api moves (lib/observability); none when omitted. */
  metrics?:
    | {
        webhooks: ReturnType<typeof createWebhookCounter>;
        webhookDuplicates?: ReturnType<typeof createWebhookDuplicateCounter>;
        webhookDispatch?: ReturnType<typeof createWebhookDispatchCounter>;
      }
    | undefined;
}

/**
 * Builds the fastify app (not listening): `/healthz` says the process is up, `/readyz` says
 * its dependencies answer (503 with the failing check names otherwise), with `db`,
 * `/sub/:token` serves subscription feeds, with `publicBaseUrl`, `/import/:app/:token` opens them
 * in a VPN app, and with `webhooks`, payment providers' webhooks are
 * taken at `/webhooks/:provider` (plus the payer's return page `/payments/return`).
 */
export function createApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 64 * 1024, trustProxy: deps.trustProxy ?? false });
  const verification = deps.webhooks === undefined ? undefined : createWebhookVerification(deps.webhooks.providers);
  registerRateLimits(app, {
    ...(deps.rateLimits === undefined ? {} : { settings: deps.rateLimits }),
    ...(verification === undefined ? {} : { verifyWebhook: (request) => isVerified(verification, request) }),
  });
  const webhookCounter = deps.metrics?.webhooks;
  if (webhookCounter !== undefined) {
    // Every answer of the webhook route, whatever decided it (rate limit, verification, hand-off).
    app.addHook('onResponse', async (request, reply) => {
      if (request.routeOptions.url !== '/webhooks/:provider') return;
      const provider = (request.params as { provider?: string }).provider ?? 'unknown';
      webhookCounter.inc({
        provider: (WEBHOOK_PROVIDERS as readonly string[]).includes(provider) ? provider : 'other',
        outcome: webhookOutcome(reply.statusCode),
      });
    });
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await runReadinessChecks(deps.readinessChecks, deps.readinessTimeoutMs ?? 2_000);
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  const { db } = deps;
  // In a plugin, so the rate-limit plugin registered above is loaded when the route is added.
  if (db !== undefined) void app.register(async (scope) => registerSubscriptionFeedRoute(scope, { ...deps.subscriptionFeed, db }));
  if (deps.publicBaseUrl !== undefined) registerImportPageRoute(app, { publicBaseUrl: deps.publicBaseUrl });
  if (deps.webhooks !== undefined) {
    const { db: webhookDb, signalVerdict, dispatch } = deps.webhooks;
    const dispatcher = createWebhookDispatcher({
      ...dispatch,
      db: webhookDb,
      signalVerdict,
      logger: deps.logger,
      counter: deps.metrics?.webhookDispatch,
    });
    app.addHook('onReady', async () => dispatcher.start());
    // onClose runs after the server stopped taking requests: the round in hand finishes first.
    app.addHook('onClose', async () => dispatcher.stop());
    registerWebhookRoutes(
      app,
      { ...deps.webhooks, ...(verification === undefined ? {} : { verification }) },
      { stored: () => dispatcher.wake(), duplicates: deps.metrics?.webhookDuplicates },
    );
    registerPaymentReturnRoute(app);
  }
  return app;
}

/** For the rate limiter: verified requests neither count nor are refused; anything else counts. */
function isVerified(verification: WebhookVerification, request: FastifyRequest): boolean {
  try {
    return verification(request).kind === 'verified';
  } catch {
    return false;
  }
}
