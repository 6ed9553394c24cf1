/**
 * Remembers the newest trade ids per (venue, symbol), so a trade delivered twice (a source
 * re-sending after a reconnect, a replay resumed after a crash) reaches the log once.
 * Memory is bounded: each key keeps its `capacity` most recent ids.
 */
export interface DedupeWindow {
  /** True when the id was seen before (and is still remembered); otherwise remembers it. */
  seen(key: string, tradeId: string): boolean;
  size(): number;
}

/** @param capacity ids remembered per key. @default 200_000 */
export function createDedupeWindow(capacity = 200_000): DedupeWindow {
  const byKey = new Map<string, Set<string>>();
  let total = 0;
  return {
    seen(key, tradeId) {
      let ids = byKey.get(key);
      if (ids === undefined) {
        ids = new Set();
        byKey.set(key, ids);
      }
      if (ids.has(tradeId)) return true;
      ids.add(tradeId);
      total++;
      if (ids.size > capacity) {
        // Sets iterate in insertion order: the first entry is the oldest.
        const oldest = ids.values().next().value;
        if (oldest !== undefined) ids.delete(oldest);
        total--;
      }
      return false;
    },
    size: () => total,
  };
}
