/**
 * The webhook events this api replica has seen settled, so their repeats are answered without a
 * database statement. Safe because `settled` is final: no writer moves a settled inbox row to another
 * status (every status update of webhook_events is guarded by `status <> 'settled'` or
 * `status = 'received'`). Bounded:
 * past `maxEntries` the oldest key is forgotten, and its next repeat costs one statement again.
 */

/** A bounded set of (provider, event key) pairs known settled. */
export interface SettledEventCache {
  has(provider: string, eventKey: string): boolean;
  add(provider: string, eventKey: string): void;
  readonly size: number;
}

/** Builds an empty cache holding at most `maxEntries` keys (default 10 000, about 1 MB). */
export function createSettledEventCache(maxEntries = 10_000): SettledEventCache {
  const keys = new Set<string>();
  // NUL cannot occur in a provider name, so the pair maps to one string without ambiguity.
  const keyOf = (provider: string, eventKey: string) => `${provider}\u0000${eventKey}`;
  return {
    has: (provider, eventKey) => keys.has(keyOf(provider, eventKey)),
    add(provider, eventKey) {
      const key = keyOf(provider, eventKey);
      if (keys.has(key)) return;
      keys.add(key);
      if (keys.size > maxEntries) {
        const oldest = keys.values().next();
        if (oldest.done !== true) keys.delete(oldest.value);
      }
    },
    get size() {
      return keys.size;
    },
  };
}
