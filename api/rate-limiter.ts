/**
 * A tiny in-memory token bucket per key (client IP), enough to keep a flood of webhook requests
 * from reaching the database; not shared between api replicas (each has its own budget).
 */

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Burst size: requests a quiet client may send at once. */
  capacity: number;
  /** Sustained rate, in requests per second. */
  refillPerSecond: number;
  /** Most keys remembered; beyond it the oldest are forgotten (they start full again). Default 10 000. */
  maxKeys?: number;
  /** Clock in milliseconds (tests); default Date.now. */
  now?: () => number;
}

/** Takes one token for `key`; false when its bucket is empty (answer 429). */
export type RateLimiter = (key: string) => boolean;

/** Creates a limiter. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  return (key) => {
    const time = now();
    const bucket = buckets.get(key) ?? { tokens: options.capacity, at: time };
    buckets.delete(key);
    bucket.tokens = Math.min(options.capacity, bucket.tokens + ((time - bucket.at) / 1000) * options.refillPerSecond);
    bucket.at = time;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    buckets.set(key, bucket);
    if (buckets.size > maxKeys) {
      const oldest = buckets.keys().next().value;
      if (oldest !== undefined) buckets.delete(oldest);
    }
    return allowed;
  };
}
