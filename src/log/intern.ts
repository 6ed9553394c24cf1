/**
 * Strings decoded from bytes that repeat on every record (venues, symbols, record keys):
 * decoding each anew would make (and later collect) the same few strings millions of times, and
 * every Map lookup downstream would hash a fresh copy. A small table keyed by a hash of the bytes
 * hands back the string made last time those exact bytes were seen; a collision only replaces
 * the entry.
 */
export interface InternTable {
  readonly encoding: 'latin1' | 'utf8';
  /** Longer byte strings are decoded every time, not kept. */
  readonly maxBytes: number;
  readonly bytes: (Uint8Array | undefined)[];
  readonly strings: string[];
}

/** A table of `slots` entries (a power of two). */
export function createInternTable(slots: number, maxBytes: number, encoding: 'latin1' | 'utf8'): InternTable {
  return { encoding, maxBytes, bytes: new Array(slots).fill(undefined), strings: new Array(slots).fill('') };
}

/** `buf.toString(table.encoding, start, start + length)`, the same string as last time for the same bytes. */
export function intern(table: InternTable, buf: Buffer, start: number, length: number): string {
  const end = start + length;
  if (length === 0 || length > table.maxBytes) return buf.toString(table.encoding, start, end);
  let hash = 0;
  for (let i = start; i < end; i++) hash = (hash * 31 + (buf[i] as number)) | 0;
  const slot = (hash ^ (hash >>> 5)) & (table.bytes.length - 1);
  const known = table.bytes[slot];
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (known[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return table.strings[slot] as string;
  }
  const text = buf.toString(table.encoding, start, end);
  table.bytes[slot] = Uint8Array.prototype.slice.call(buf, start, end);
  table.strings[slot] = text;
  return text;
}
