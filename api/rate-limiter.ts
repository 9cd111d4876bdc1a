/**
 * Rate limits of the api with @fastify/rate-limit (in-memory per api replica; each replica has
 * its own budget), applied per route from one place:
 * - `GET /sub/:token`: per client IP, so unguessable tokens stay unguessable (a client app
 *   refreshes every few hours; a guesser needs millions of tries).
 * - `POST /webhooks/:provider`: only requests that FAIL verification count, per client IP. A
 *   provider posting many verified webhooks from a few addresses during a sale is never refused;
 *   a source sending forged or malformed ones is cut off (429) after a few.
 * `request.ip` honours X-Forwarded-For only from the proxies TRUST_PROXY names.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Limits per client IP and minute. */
export interface RateLimitSettings {
  /** Requests to `/sub/:token` per IP and minute; default 60. */
  subPerMinute: number;
  /** Webhook requests failing verification per IP and minute; default 10. */
  failedWebhooksPerMinute: number;
}

/** The defaults: generous for client apps and providers, tight for guessers and forgers. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { subPerMinute: 60, failedWebhooksPerMinute: 10 };

/** True when a webhook request passes its provider's verification (its body is parsed). */
export type WebhookVerifier = (request: FastifyRequest) => boolean;

/** The route URLs (as registered) the limits apply to. */
export const SUB_ROUTE = '/sub/:token';
export const WEBHOOK_ROUTE = '/webhooks/:provider';

/**
 * Registers the plugin (no global limit) and a hook that sets the limits above on their routes.
 * Call before registering the routes, which must be registered in plugins (`app.register`) so
 * the plugin is loaded when they are added.
 */
export function registerRateLimits(
  app: FastifyInstance,
  options: { settings?: Partial<RateLimitSettings>; verifyWebhook?: WebhookVerifier },
): void {
  const settings = { ...DEFAULT_RATE_LIMITS, ...options.settings };
  const verify = options.verifyWebhook;
  app.addHook('onRoute', (route) => {
    if (route.url === SUB_ROUTE) {
      route.config = { ...route.config, rateLimit: { max: settings.subPerMinute, timeWindow: 60_000 } };
    } else if (route.url === WEBHOOK_ROUTE && verify !== undefined) {
      route.config = {
        ...route.config,
        rateLimit: {
          max: settings.failedWebhooksPerMinute,
          timeWindow: 60_000,
          // After the body is read, so verification can run. A verified request neither counts
          // nor is refused, even from a source over its limit.
          hook: 'preHandler',
          allowList: (request: FastifyRequest) => verify(request),
        },
      };
    }
  });
  void app.register(rateLimit, { global: false });
}
