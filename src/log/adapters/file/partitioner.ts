const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a, 32 bit, over the UTF-8 bytes of `key`. Other adapters and other languages compute the
 * same value, which keeps `partitionFor` stable across processes and adapters.
 * @example fnv1a32('foobar') === 0xbf9cf968
 */
export function fnv1a32(key: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    // Keys are ASCII in practice (`binance:BTC-USDT`); anything else is hashed from its UTF-8 bytes.
    if (code >= 0x80) return fnv1a32Bytes(Buffer.from(key, 'utf8'));
    hash = Math.imul(hash ^ code, FNV_PRIME);
  }
  return hash >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME);
  return hash >>> 0;
}

/** The partition of `key` among `partitions`: `fnv1a32(key) % partitions`. */
export function partitionForKey(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}
