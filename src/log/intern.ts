/**
 * Strings decoded from bytes that repeat on every record (venues, symbols, record keys):
 * decoding each anew would make (and later collect) the same few strings millions of times, and
 * every Map lookup downstream would hash a fresh copy. A table keyed by a hash of the bytes
 * hands back the string made last time those exact bytes were seen.
 *
 * The hash is FNV-1a with a final mix, and a lookup probes `PROBES` neighbouring slots: with
 * tens of thousands of symbols a plain polynomial hash into one slot put three symbols in ten on
 * a shared slot, where each evicted the other on every record (a decode and a copy per record).
 * When every probed slot holds other bytes, one of them is replaced.
 */
export interface InternTable {
  readonly encoding: 'latin1' | 'utf8';
  /** Longer byte strings are decoded every time, not kept. */
  readonly maxBytes: number;
  readonly bytes: (Uint8Array | undefined)[];
  readonly strings: string[];
}

const PROBES = 8;

/** A table of `slots` entries (a power of two). */
export function createInternTable(slots: number, maxBytes: number, encoding: 'latin1' | 'utf8'): InternTable {
  return { encoding, maxBytes, bytes: new Array(slots).fill(undefined), strings: new Array(slots).fill('') };
}

/** `buf.toString(table.encoding, start, start + length)`, the same string as last time for the same bytes. */
export function intern(table: InternTable, buf: Buffer, start: number, length: number): string {
  const end = start + length;
  if (length === 0 || length > table.maxBytes) return buf.toString(table.encoding, start, end);
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (buf[i] as number), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  const mask = table.bytes.length - 1;
  let free = -1;
  for (let probe = 0; probe < PROBES; probe++) {
    const slot = (hash + probe) & mask;
    const known = table.bytes[slot];
    if (known === undefined) {
      free = slot;
      break;
    }
    if (known.length === length && sameBytes(known, buf, start)) return table.strings[slot] as string;
  }
  const slot = free >= 0 ? free : (hash + ((hash >>> 20) % PROBES)) & mask;
  const text = buf.toString(table.encoding, start, end);
  table.bytes[slot] = Uint8Array.prototype.slice.call(buf, start, end);
  table.strings[slot] = text;
  return text;
}

function sameBytes(known: Uint8Array, buf: Buffer, start: number): boolean {
  for (let i = 0; i < known.length; i++) if (known[i] !== buf[start + i]) return false;
  return true;
}
