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
 * The ids of one key. Each id remembered gets the key's next sequence number; it is forgotten
 * once `capacity` later ids were remembered (its sequence number is out of the window).
 *
 * Venues number their trades in order, so almost every id is an integer above all before it:
 * those go to `ascending`, a ring of ids in increasing order, where "seen?" is one comparison
 * with the last and a repeat is found by binary search, in place of hashing every id into a
 * set of 200 000 (the hottest cost of the log writer). Ids that arrive out of order, and ids
 * that are not plain integers, go to `others`, a map with its own ring for eviction.
 */
interface KeyIds {
  /** Sequence number of the next id remembered. */
  seq: number;
  ascending: SortedRing;
  /** Largest id ever put in `ascending` (-1: none); every id in `others` that is a number is below it. */
  maxAscending: number;
  others: Map<number | string, number>;
  /** `others`' ids in the order remembered, with their sequence numbers, for eviction. */
  othersRing: (number | string)[];
  othersSeqs: number[];
  othersHead: number;
}

/** Increasing ids with their (increasing) sequence numbers; a ring that grows up to a bound. */
interface SortedRing {
  ids: Float64Array;
  seqs: Float64Array;
  head: number;
  length: number;
}

/** Small, since it grows: with 10,000 symbols, 1024 ids per key was 160 MB before any trade repeated. */
const INITIAL_RING = 64;

/** @param capacity ids remembered per key. @default 200_000 */
export function createDedupeWindow(capacity = 200_000): DedupeWindow {
  const byKey = new Map<string, KeyIds>();
  let total = 0;
  let lastKey = '';
  let lastIds: KeyIds | undefined;

  /** Remembers that `k` took an id; counts it toward `size()` until the key is full. */
  const remembered = (k: KeyIds): number => {
    if (k.seq < capacity) total++;
    return k.seq++;
  };

  return {
    seen(key, tradeId) {
      let k = key === lastKey ? lastIds : byKey.get(key);
      if (k === undefined) {
        k = newKeyIds();
        byKey.set(key, k);
      }
      lastKey = key;
      lastIds = k;
      const oldest = k.seq - capacity;
      const id = isPlainInteger(tradeId) ? Number(tradeId) : tradeId;
      if (typeof id === 'number') {
        if (id > k.maxAscending) {
          k.maxAscending = id;
          push(k.ascending, id, remembered(k), oldest + 1, capacity);
          return false;
        }
        if (findLive(k.ascending, id, oldest)) return true;
      }
      const seq = k.others.get(id);
      if (seq !== undefined && seq >= oldest) return true;
      const now = remembered(k);
      k.others.set(id, now);
      k.othersRing.push(id);
      k.othersSeqs.push(now);
      evictOthers(k, oldest + 1);
      return false;
    },
    size: () => total,
  };
}

function newKeyIds(): KeyIds {
  return {
    seq: 0,
    ascending: {
      ids: new Float64Array(INITIAL_RING),
      seqs: new Float64Array(INITIAL_RING),
      head: 0,
      length: 0,
    },
    maxAscending: -1,
    others: new Map(),
    othersRing: [],
    othersSeqs: [],
    othersHead: 0,
  };
}

/** Appends the largest id so far; drops entries whose sequence number is below `firstLive`. */
function push(ring: SortedRing, id: number, seq: number, firstLive: number, capacity: number): void {
  const size = ring.ids.length;
  while (ring.length > 0 && ring.seqs[ring.head]! < firstLive) {
    ring.head = ring.head + 1 === size ? 0 : ring.head + 1;
    ring.length--;
  }
  if (ring.length === size) grow(ring, capacity);
  const ids = ring.ids;
  let at = ring.head + ring.length;
  if (at >= ids.length) at -= ids.length;
  ids[at] = id;
  ring.seqs[at] = seq;
  ring.length++;
}

/**
 * Doubles the ring (in order, from index 0), up to `capacity` entries. Every entry in a ring
 * this full is live, so it never needs to hold more: `push` drops one before it is full again.
 */
function grow(ring: SortedRing, capacity: number): void {
  const size = Math.min(Math.max(capacity, 1), ring.ids.length * 2);
  const ids = new Float64Array(size);
  const seqs = new Float64Array(size);
  for (let i = 0; i < ring.length; i++) {
    let from = ring.head + i;
    if (from >= ring.ids.length) from -= ring.ids.length;
    ids[i] = ring.ids[from]!;
    seqs[i] = ring.seqs[from]!;
  }
  ring.ids = ids;
  ring.seqs = seqs;
  ring.head = 0;
}

/** Whether `id` is in the ring with a sequence number of at least `oldest`. */
function findLive(ring: SortedRing, id: number, oldest: number): boolean {
  const size = ring.ids.length;
  let lo = 0;
  let hi = ring.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    let at = ring.head + mid;
    if (at >= size) at -= size;
    const value = ring.ids[at]!;
    if (value === id) return ring.seqs[at]! >= oldest;
    if (value < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Forgets the ids in `others` whose sequence number is below `firstLive`. */
function evictOthers(k: KeyIds, firstLive: number): void {
  while (k.othersHead < k.othersRing.length && k.othersSeqs[k.othersHead]! < firstLive) {
    const id = k.othersRing[k.othersHead]!;
    // The id may have been forgotten and remembered again since: only its last entry counts.
    if (k.others.get(id) === k.othersSeqs[k.othersHead]) k.others.delete(id);
    k.othersHead++;
  }
  if (k.othersHead > 1024 && k.othersHead * 2 > k.othersRing.length) {
    k.othersRing.splice(0, k.othersHead);
    k.othersSeqs.splice(0, k.othersHead);
    k.othersHead = 0;
  }
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
