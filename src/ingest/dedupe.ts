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

interface KeyIds {
  /** Ids that are plain integers (most venues'), held as numbers: cheaper to hash than strings. */
  numbers: Set<number>;
  strings: Set<string>;
}

/** @param capacity ids remembered per key. @default 200_000 */
export function createDedupeWindow(capacity = 200_000): DedupeWindow {
  const byKey = new Map<string, KeyIds>();
  let total = 0;
  let lastKey = '';
  let lastIds: KeyIds | undefined;

  function remember<T>(ids: Set<T>, id: T): boolean {
    if (ids.has(id)) return true;
    ids.add(id);
    total++;
    if (ids.size > capacity) {
      // Sets iterate in insertion order: the first entry is the oldest.
      const oldest = ids.values().next();
      if (oldest.done !== true) ids.delete(oldest.value);
      total--;
    }
    return false;
  }

  return {
    seen(key, tradeId) {
      let ids = key === lastKey ? lastIds : byKey.get(key);
      if (ids === undefined) {
        ids = { numbers: new Set(), strings: new Set() };
        byKey.set(key, ids);
      }
      lastKey = key;
      lastIds = ids;
      return isPlainInteger(tradeId)
        ? remember(ids.numbers, Number(tradeId))
        : remember(ids.strings, tradeId);
    },
    size: () => total,
  };
}

/** A decimal integer without sign or leading zero that a double holds exactly: `"0"`, `"749094"`. */
function isPlainInteger(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 15 || (n > 1 && id.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
