/**
 * The body and headers of a subscription URL's answer, in the format of the 3X-UI panel's own
 * subscription service (internal/sub/controller.go), which v2rayN, v2rayNG, Hiddify, Streisand,
 * v2RayTun and Happ read.
 */

/**
 * The subscription body: every link followed by '\n', base64-encoded (standard alphabet, padded),
 * exactly as the panel answers. A multi-line entry (one link per external proxy) stays as is.
 */
export function buildSubscriptionBody(links: readonly string[]): string {
  return Buffer.from(links.map((link) => `${link}\n`).join(''), 'utf8').toString('base64');
}

/** Input of {@link buildSubscriptionHeaders}. */
export interface SubscriptionHeadersInput {
  /** Profile name the app shows; sent as `base64:<utf-8 base64>`; omitted when empty. */
  title: string;
  /** Uploaded bytes. */
  upload: number;
  /** Downloaded bytes. */
  download: number;
  /** Quota in bytes, 0 = unlimited. */
  total: number;
  /** Expiry as epoch SECONDS, 0 = never. */
  expireEpochSec: number;
  /** How often apps should refresh, in hours. */
  updateIntervalHours: number;
  /** Optional `support-url` (e.g. the bot's t.me link). */
  supportUrl?: string | undefined;
  /** Optional `profile-web-page-url`. */
  webPageUrl?: string | undefined;
  /** Optional `announce` text, sent as `base64:`. */
  announce?: string | undefined;
}

/**
 * The response headers (lower-case names) the panel sends with a subscription:
 * `subscription-userinfo: upload=..; download=..; total=..; expire=..`, `profile-update-interval`,
 * `profile-title: base64:..`, and the optional support/web page/announce headers.
 * @throws RangeError when a number is negative or not an integer
 */
export function buildSubscriptionHeaders(input: SubscriptionHeadersInput): Record<string, string> {
  for (const key of ['upload', 'download', 'total', 'expireEpochSec', 'updateIntervalHours'] as const) {
    if (!Number.isSafeInteger(input[key]) || input[key] < 0) throw new RangeError(`${key} must be a non-negative integer`);
  }
  const b64 = (text: string) => `base64:${Buffer.from(text, 'utf8').toString('base64')}`;
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'subscription-userinfo': `upload=${input.upload}; download=${input.download}; total=${input.total}; expire=${input.expireEpochSec}`,
    'profile-update-interval': String(input.updateIntervalHours),
  };
  if (input.title !== '') headers['profile-title'] = b64(input.title);
  if (input.supportUrl) headers['support-url'] = input.supportUrl;
  if (input.webPageUrl) headers['profile-web-page-url'] = input.webPageUrl;
  if (input.announce) headers['announce'] = b64(input.announce);
  return headers;
}
