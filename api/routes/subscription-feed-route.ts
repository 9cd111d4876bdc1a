/**
 * `GET /sub/:token`: the subscription URL client apps (v2rayN, v2rayNG, Hiddify, Streisand, Happ)
 * import and refresh. Answers like the 3X-UI panel's own subscription service: a base64 list of
 * share links plus `subscription-userinfo`, `profile-title` and `profile-update-interval`. The
 * links are the subscription's stored vpn_key, which provisioning rewrites when the subscription
 * moves to another server, so the URL a user imported never changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { buildSubscriptionBody, buildSubscriptionHeaders } from '../../lib/xui/subscription-response';
import { getPlan } from '../../sql/repositories/plans-repository';
import { getSubscriptionBySubToken } from '../../sql/repositories/subscriptions-repository';
import type { SubscriptionPlanRow } from '../../sql/schemas/subscription-plan-row';
import type { SubscriptionRow, SubscriptionStatus } from '../../sql/schemas/subscription-row';

/** Options of {@link registerSubscriptionFeedRoute}. */
export interface SubscriptionFeedOptions {
  db: CommonQueryMethods;
  /** Profile name apps show; default 'VPN'. */
  profileTitle?: string | undefined;
  /** How often apps should refresh, in hours; default 12. */
  updateIntervalHours?: number | undefined;
  /** Optional `support-url` header (e.g. the bot's t.me link). */
  supportUrl?: string | undefined;
  /** Clock (tests); default the system clock. */
  now?: (() => Date) | undefined;
}

/** What the feed serves for one subscription. */
export interface SubscriptionFeed {
  /** The effective status (`active` past its end_date counts as `expired`); sent as `x-subscription-status`. */
  status: SubscriptionStatus;
  /** Share links served; empty unless active. */
  links: string[];
  /** Uploaded bytes (the panel's counter as last synced). */
  uploadBytes: number;
  /** Downloaded bytes (the panel's counter as last synced). */
  downloadBytes: number;
  /** Quota in bytes, 0 = unlimited. */
  totalBytes: number;
  /** Expiry in epoch seconds; never in the future unless active, never 0 (which means "never"). */
  expireEpochSec: number;
}

/** sub_token: base64url, 32-64 characters (new_sub_token() makes 43). */
const tokenParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{32,64}$/) });

/**
 * What to serve for a subscription at `now`. Only an active subscription whose period has not
 * ended gets links; every other one gets a clear empty answer whose expiry is in the past.
 */
export function subscriptionFeed(row: SubscriptionRow, plan: Pick<SubscriptionPlanRow, 'features'> | null, now: Date): SubscriptionFeed {
  const ended = row.end_date !== null && row.end_date.getTime() <= now.getTime();
  const status: SubscriptionStatus = row.status === 'active' && ended ? 'expired' : row.status;
  const serving = status === 'active' && row.end_date !== null;
  const expireMs = serving ? (row.end_date?.getTime() ?? now.getTime()) : Math.min(row.end_date?.getTime() ?? now.getTime(), now.getTime());
  return {
    status,
    links: serving
      ? (row.vpn_key ?? '')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '')
      : [],
    uploadBytes: row.traffic_up,
    downloadBytes: row.traffic_down,
    totalBytes: plan?.features?.traffic_limit ?? 0,
    expireEpochSec: Math.max(1, Math.floor(expireMs / 1000)),
  };
}

/**
 * Registers `GET /sub/:token` (and HEAD). A malformed or unknown token gets 404 with a short
 * plain-text body; a known one gets 200 with the base64 body, the userinfo headers,
 * `x-subscription-status` and `cache-control: no-store`. The token is a credential: it is kept
 * out of the request logs, and a database failure is answered 503 without logging the query.
 */
export function registerSubscriptionFeedRoute(app: FastifyInstance, options: SubscriptionFeedOptions): void {
  const now = options.now ?? (() => new Date());
  app.get('/sub/:token', { logSerializers: { req: redactedRequest } }, async (request, reply) => {
    const parsed = tokenParams.safeParse(request.params);
    if (!parsed.success) return notFound(reply);
    let row: SubscriptionRow | null;
    let plan: SubscriptionPlanRow | null;
    try {
      row = await getSubscriptionBySubToken(options.db, parsed.data.token);
      plan = row === null || row.plan_id === null ? null : await getPlan(options.db, row.plan_id);
    } catch (error) {
      request.log.error({ error: error instanceof Error ? error.name : 'unknown' }, 'subscription feed lookup failed');
      return reply.code(503).type('text/plain; charset=utf-8').header('retry-after', '60').send('Temporarily unavailable\n');
    }
    if (row === null) return notFound(reply);

    const feed = subscriptionFeed(row, plan, now());
    const headers = buildSubscriptionHeaders({
      title: options.profileTitle ?? 'VPN',
      upload: feed.uploadBytes,
      download: feed.downloadBytes,
      total: feed.totalBytes,
      expireEpochSec: feed.expireEpochSec,
      updateIntervalHours: options.updateIntervalHours ?? 12,
      supportUrl: options.supportUrl,
    });
    return reply
      .code(200)
      .headers({ ...headers, 'cache-control': 'no-store', 'x-subscription-status': feed.status })
      .send(buildSubscriptionBody(feed.links));
  });
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found\n');
}

/** The request as logged for this route: the token never reaches a log line. */
function redactedRequest(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: '/sub/[redacted]', host: request.host, remoteAddress: request.ip };
}
