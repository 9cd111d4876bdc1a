/**
 * A pacing rate limiter: hands out send slots at most `perSecond` per second (evenly spaced, no
 * bursts), and can be paused until a moment (Telegram's 429 `retry_after` applies to the whole bot,
 * so every sender waits, none burns a retry).
 */

/** A pacing limiter. */
export interface RateLimiter {
  /** Resolves when the caller may send; slots are `1000 / perSecond` ms apart. */
  take(): Promise<void>;
  /** No slot is handed out before `Date.now() + ms`. */
  pauseFor(ms: number): void;
}

/** Builds a limiter; `now` and `sleep` are injectable for tests. */
export function createRateLimiter(
  perSecond: number,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = {
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  },
): RateLimiter {
  if (!(perSecond > 0)) throw new RangeError('perSecond must be positive');
  const spacing = 1000 / perSecond;
  let next = 0;
  return {
    async take() {
      const now = clock.now();
      const slot = Math.max(next, now);
      next = slot + spacing;
      if (slot > now) await clock.sleep(slot - now);
    },
    pauseFor(ms) {
      next = Math.max(next, clock.now() + ms);
    },
  };
}
