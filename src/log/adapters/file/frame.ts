import { crc32 } from 'node:zlib';
import { CryptoLambdaError } from '../../../domain/index.js';
import type { AppendRecord, StoredRecord } from '../../event-log.js';
import { LOG_ERRORS } from '../../event-log.js';
import { createInternTable, intern } from '../../intern.js';

/*
 * A segment file is a sequence of record-batch frames, each written by one `write`:
 *
 *   header (32 bytes, little endian)
 *     0  magic        u32  'CLB1'
 *     4  payloadBytes u32  bytes after the header
 *     8  crc          u32  CRC-32 of bytes 12 .. end of payload
 *    12  baseOffset   u32 low + u32 high (offsets stay below 2^53)
 *    20  count        u32  records in the batch (> 0)
 *    24  maxTs        f64  largest record ts, for time retention
 *   payload: `count` records, each
 *     keyBytes u32, valueBytes u32, ts f64, key (UTF-8), value
 *
 * A gap frame (magic 'CLG1', written only by `repair`) stands for `count` offsets whose records
 * were lost to damage: it keeps the offsets after it where they were, and readers skip it. Its
 * payload is a UTF-8 JSON note saying what was lost and where the damaged file went.
 */

export const FRAME_MAGIC = 0x31424c43;
export const GAP_MAGIC = 0x31474c43;
export const HEADER_BYTES = 32;
export const RECORD_OVERHEAD_BYTES = 16;
const CRC_START = 12;
const MAX_FRAME_BYTES = 0xffff_ffff;

export interface FrameHeader {
  /** A gap frame: `count` lost offsets, no records. */
  gap: boolean;
  payloadBytes: number;
  crc: number;
  baseOffset: number;
  count: number;
  maxTs: number;
}

export interface EncodedFrame {
  bytes: Buffer;
  count: number;
  maxTs: number;
}

/*
 * A topic's records share a few keys (one per series), so the UTF-8 bytes of recent keys are
 * kept rather than measured and encoded again for every record. Bounded: cleared when full.
 */
const KEY_CACHE_MAX = 65_536;
const KEY_CACHE_MAX_CHARS = 256;
const keyBytesCache = new Map<string, Buffer>();

function keyBytes(key: string): Buffer {
  if (key.length > KEY_CACHE_MAX_CHARS) return Buffer.from(key, 'utf8');
  let bytes = keyBytesCache.get(key);
  if (bytes === undefined) {
    if (keyBytesCache.size >= KEY_CACHE_MAX) keyBytesCache.clear();
    bytes = Buffer.from(key, 'utf8');
    keyBytesCache.set(key, bytes);
  }
  return bytes;
}

/** `encodeFrame`'s key bytes per record, reused from call to call (emptied after each). */
const frameKeys: Buffer[] = [];

/** Encodes the records of several appends, in order, as one frame. */
export function encodeFrame(baseOffset: number, groups: readonly (readonly AppendRecord[])[]): EncodedFrame {
  let size = HEADER_BYTES;
  let count = 0;
  // Each record's key bytes are looked up once: with thousands of series the cache's lookups
  // miss the CPU caches, and sizing the frame and writing it looked each key up twice.
  const keys = frameKeys;
  for (const group of groups) {
    for (const record of group) {
      const key = keyBytes(record.key);
      keys[count++] = key;
      size += RECORD_OVERHEAD_BYTES + key.length + record.value.byteLength;
    }
  }
  if (size > MAX_FRAME_BYTES) {
    throw new CryptoLambdaError(
      LOG_ERRORS.invalidArgument,
      `a batch of ${size} bytes exceeds the 4 GiB frame limit`,
    );
  }
  // Outside Node's shared 8 KiB pool: the tail cache keeps frames, and a small pooled frame
  // would pin a whole pool slab while the cache counts only its own bytes.
  const bytes = Buffer.allocUnsafeSlow(size);
  let pos = HEADER_BYTES;
  let maxTs = Number.NEGATIVE_INFINITY;
  let index = 0;
  for (const group of groups) {
    for (const record of group) {
      const key = keys[index++] as Buffer;
      const keyPos = pos + RECORD_OVERHEAD_BYTES;
      // Keys are short: a loop beats a native copy call.
      for (let i = 0; i < key.length; i++) bytes[keyPos + i] = key[i]!;
      const valueBytes = record.value.byteLength;
      bytes.writeUInt32LE(key.length, pos);
      bytes.writeUInt32LE(valueBytes, pos + 4);
      bytes.writeDoubleLE(record.ts, pos + 8);
      const valuePos = keyPos + key.length;
      bytes.set(record.value, valuePos);
      if (record.ts > maxTs) maxTs = record.ts;
      pos = valuePos + valueBytes;
    }
  }
  bytes.writeUInt32LE(FRAME_MAGIC, 0);
  bytes.writeUInt32LE(size - HEADER_BYTES, 4);
  writeOffset(bytes, 12, baseOffset);
  bytes.writeUInt32LE(count, 20);
  bytes.writeDoubleLE(maxTs, 24);
  bytes.writeUInt32LE(crc32(bytes.subarray(CRC_START)), 8);
  keys.length = 0;
  return { bytes, count, maxTs };
}

/** Encodes a gap frame for the lost offsets `[baseOffset, baseOffset + count)`. */
export function encodeGapFrame(baseOffset: number, count: number, note: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(note), 'utf8');
  const bytes = Buffer.alloc(HEADER_BYTES + payload.length);
  bytes.writeUInt32LE(GAP_MAGIC, 0);
  bytes.writeUInt32LE(payload.length, 4);
  writeOffset(bytes, 12, baseOffset);
  bytes.writeUInt32LE(count, 20);
  bytes.writeDoubleLE(Number.NEGATIVE_INFINITY, 24);
  payload.copy(bytes, HEADER_BYTES);
  bytes.writeUInt32LE(crc32(bytes.subarray(CRC_START)), 8);
  return bytes;
}

/** Reads the header at `pos`; `undefined` when the magic does not match. */
export function readHeader(buf: Buffer, pos: number): FrameHeader | undefined {
  const magic = buf.readUInt32LE(pos);
  if (magic !== FRAME_MAGIC && magic !== GAP_MAGIC) return undefined;
  return {
    gap: magic === GAP_MAGIC,
    payloadBytes: buf.readUInt32LE(pos + 4),
    crc: buf.readUInt32LE(pos + 8),
    baseOffset: buf.readUInt32LE(pos + 12) + buf.readUInt32LE(pos + 16) * 0x1_0000_0000,
    count: buf.readUInt32LE(pos + 20),
    maxTs: buf.readDoubleLE(pos + 24),
  };
}

/** Whether the frame at `pos` (whole in `buf`) has the CRC its header claims. */
export function frameCrcMatches(buf: Buffer, pos: number, header: FrameHeader): boolean {
  const end = pos + HEADER_BYTES + header.payloadBytes;
  return crc32(buf.subarray(pos + CRC_START, end)) === header.crc;
}

/**
 * Appends to `out` the records of the frame at `pos` (whole in `buf`) whose offsets are in
 * `[fromOffset, toOffset)`. Values are views into `buf`.
 */
export function decodeFrame(
  buf: Buffer,
  pos: number,
  header: FrameHeader,
  partition: number,
  fromOffset: number,
  toOffset: number,
  out: StoredRecord[],
): void {
  if (header.gap) return;
  const end = pos + HEADER_BYTES + header.payloadBytes;
  const lastOffset = Math.min(toOffset, header.baseOffset + header.count);
  let p = pos + HEADER_BYTES;
  for (let offset = header.baseOffset; offset < lastOffset; offset++) {
    if (p + RECORD_OVERHEAD_BYTES > end) throw corruptFrame(header);
    const keyBytes = buf.readUInt32LE(p);
    const valueBytes = buf.readUInt32LE(p + 4);
    const keyPos = p + RECORD_OVERHEAD_BYTES;
    const valuePos = keyPos + keyBytes;
    const next = valuePos + valueBytes;
    if (next > end) throw corruptFrame(header);
    if (offset >= fromOffset) {
      out.push({
        partition,
        offset,
        key: decodeKey(buf, keyPos, valuePos),
        value: new Uint8Array(buf.buffer, buf.byteOffset + valuePos, valueBytes),
        ts: buf.readDoubleLE(p + 8),
      });
    }
    p = next;
  }
}

/** Keys repeat on every record of a series (`venue:symbol`): a fresh string per record was about 40% of a read. */
const keys = createInternTable(65_536, 64, 'utf8');

/** The UTF-8 key in `buf[start, end)`, as `buf.toString('utf8', start, end)` gives it. */
export function decodeKey(buf: Buffer, start: number, end: number): string {
  return intern(keys, buf, start, end - start);
}

function writeOffset(buf: Buffer, pos: number, offset: number): void {
  buf.writeUInt32LE(offset % 0x1_0000_0000, pos);
  buf.writeUInt32LE(Math.floor(offset / 0x1_0000_0000), pos + 4);
}

function corruptFrame(header: FrameHeader): CryptoLambdaError {
  return new CryptoLambdaError(
    LOG_ERRORS.corrupt,
    `the batch at offset ${header.baseOffset} has a record running past its end`,
  );
}
