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

/**
 * The ids of one key: a set for membership and a ring of the same ids in arrival order, so the
 * oldest one is evicted in O(1). (Evicting through the set's own iteration order is quadratic in
 * V8: deleted entries stay as holes the iterator walks until the table is rehashed.)
 */
interface KeyIds {
  /** Plain integer ids (most venues') are held as numbers: cheaper to hash than strings. */
  ids: Set<number | string>;
  ring: (number | string)[];
  next: number;
}

/** @param capacity ids remembered per key. @default 200_000 */
export function createDedupeWindow(capacity = 200_000): DedupeWindow {
  const byKey = new Map<string, KeyIds>();
  let total = 0;
  let lastKey = '';
  let lastIds: KeyIds | undefined;

  return {
    seen(key, tradeId) {
      let k = key === lastKey ? lastIds : byKey.get(key);
      if (k === undefined) {
        k = { ids: new Set(), ring: [], next: 0 };
        byKey.set(key, k);
      }
      lastKey = key;
      lastIds = k;
      const id = isPlainInteger(tradeId) ? Number(tradeId) : tradeId;
      if (k.ids.has(id)) return true;
      k.ids.add(id);
      if (k.ring.length < capacity) {
        k.ring.push(id);
        total++;
      } else {
        k.ids.delete(k.ring[k.next]!);
        k.ring[k.next] = id;
        k.next = (k.next + 1) % capacity;
      }
      return false;
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
