import { brotliCompressSync, brotliDecompressSync, constants, gzipSync } from 'node:zlib';
import { CryptoLambdaError, type RawBatch } from '../domain/index.js';
import { LOG_ERRORS } from './event-log.js';
import type { Codec } from './topics.js';

/**
 * The `raw` topic's codec: one record per source batch, its payloads exactly as received. Each
 * payload is stored as its UTF-8 bytes behind a length (JSON of the whole list would escape
 * every quote of every frame), and the body is compressed in the thread that encodes the record
 * (the ingest worker; Brotli at its fastest quality, a fifth of the size of exchange frames):
 * uncompressed, every byte would be copied, checksummed and written by the thread that appends
 * to the log, the pipeline's busiest. Measured per frame on the throughput benchmark's frames:
 * this encoding 0.3 µs; formatting the bronze JSON lines and gzipping them instead 1.1 µs, which
 * took the pipeline from 0.46 to 0.33 of `JSON.parse` — so bronze formatting happens in the
 * lake's own worker thread (`rawBronzeMember`).
 *
 * Layout (little endian): u8 version = 1 · u32 header length + header, the UTF-8 JSON
 * `{"source","position","recvTs"}` · u8 body encoding (0 plain, 1 Brotli) · body: u32 payload
 * count · per payload u32 length + UTF-8 bytes, Brotli-compressed as a whole when encoding is 1.
 */
const VERSION = 1;
const PLAIN = 0;
const BROTLI = 1;
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };
const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } };
/** Bodies smaller than this stay plain: compressing them saves little and costs a call. */
const COMPRESS_MIN_BYTES = 1024;

/** The fields of a raw record besides its payloads: what a reader needs to dedupe or file it. */
export type RawBatchHeader = Omit<RawBatch, 'payloads'>;

/**
 * Reused for each body before it is compressed (encoding is synchronous, one at a time per
 * thread), up to a size worth keeping; a larger body gets a buffer of its own.
 */
let scratch = Buffer.allocUnsafeSlow(64 * 1024);
const SCRATCH_MAX_BYTES = 16 * 1024 * 1024;

/** Writes the (uncompressed) body into `buf` at `pos`; returns the position after it. */
function writeBody(buf: Buffer, pos: number, payloads: readonly string[]): number {
  buf.writeUInt32LE(payloads.length, pos);
  let o = pos + 4;
  for (let i = 0; i < payloads.length; i++) {
    const n = buf.write(payloads[i]!, o + 4, 'utf8');
    buf.writeUInt32LE(n, o);
    o += 4 + n;
  }
  return o;
}

/**
 * `rawBatchCodec.encode`. The bytes fill an ArrayBuffer of their own (never a slice of Node's
 * shared pool), so a worker thread can transfer `bytes.buffer` to the thread that appends them.
 * Payloads are well-formed Unicode, as text decoded from bytes is (a lone surrogate becomes U+FFFD).
 */
export function encodeRawBatch(batch: RawBatch): Uint8Array {
  const { header, body } = prepare(batch);
  if (body.length < COMPRESS_MIN_BYTES) return assemble(header, PLAIN, body);
  return assemble(header, BROTLI, brotliCompressSync(body, BROTLI_OPTIONS));
}

/** A payload as a line of a bronze file: JSON with the time it was received. */
export function bronzeLine(recvTs: number, payload: string): string {
  return `{"recvTs":${recvTs},"payload":${JSON.stringify(payload)}}\n`;
}

/**
 * A raw record as bronze stores it: its header, one gzip member (fastest level) of its bronze
 * lines, and how many lines. CPU-heavy (about 1 µs a payload): the lake runs it in a worker thread.
 * @throws CryptoLambdaError `LOG_CORRUPT` when the bytes are not a raw record.
 */
export function rawBronzeMember(bytes: Uint8Array): {
  header: RawBatchHeader;
  member: Buffer;
  lines: number;
} {
  const buf = asBuffer(bytes);
  const { header } = readHeader(buf);
  let text = '';
  let lines = 0;
  forEachRawPayload(buf, (payload) => {
    text += bronzeLine(header.recvTs, payload);
    lines++;
  });
  return { header, member: gzipSync(text, GZIP_OPTIONS), lines };
}

/** The header's JSON and the uncompressed body, in the scratch buffer (valid until the next call). */
function prepare(batch: RawBatch): { header: string; body: Buffer } {
  const header = JSON.stringify({ source: batch.source, position: batch.position, recvTs: batch.recvTs });
  const { payloads } = batch;
  // Room for the body at 3 UTF-8 bytes per UTF-16 unit, the most one takes: measuring each
  // payload's exact length first would cost as much again as writing it.
  let maxBodyBytes = 4 + 4 * payloads.length;
  for (let i = 0; i < payloads.length; i++) maxBodyBytes += 3 * payloads[i]!.length;
  let target: Buffer;
  if (maxBodyBytes > SCRATCH_MAX_BYTES) target = Buffer.allocUnsafeSlow(maxBodyBytes);
  else {
    if (scratch.length < maxBodyBytes) {
      scratch = Buffer.allocUnsafeSlow(
        Math.min(SCRATCH_MAX_BYTES, Math.max(maxBodyBytes, scratch.length * 2)),
      );
    }
    target = scratch;
  }
  return { header, body: target.subarray(0, writeBody(target, 0, payloads)) };
}

/** The record around a body stored with `encoding`, in one allocation of its exact size. */
function assemble(header: string, encoding: number, stored: Buffer): Buffer {
  const headerBytes = Buffer.byteLength(header, 'utf8');
  const bodyAt = 1 + 4 + headerBytes + 1;
  const buf = Buffer.allocUnsafeSlow(bodyAt + stored.length);
  buf[0] = VERSION;
  buf.writeUInt32LE(headerBytes, 1);
  buf.write(header, 5, 'utf8');
  buf[bodyAt - 1] = encoding;
  stored.copy(buf, bodyAt);
  return buf;
}

/**
 * The header of a raw record, without decoding (or decompressing) its payloads: a consumer that
 * only dedupes or files records by source, position and time reads this.
 * @throws CryptoLambdaError `LOG_CORRUPT` when the bytes are not a raw record.
 */
export function decodeRawBatchHeader(bytes: Uint8Array): RawBatchHeader {
  return readHeader(asBuffer(bytes)).header;
}

/**
 * A raw record's payloads one by one, in order, without building the whole list (a lake writer
 * streaming them out). Stops early when `visit` returns false.
 * @throws CryptoLambdaError `LOG_CORRUPT` when the bytes are not a raw record.
 */
export function forEachRawPayload(
  bytes: Uint8Array,
  visit: (payload: string, index: number) => unknown,
): void {
  const buf = asBuffer(bytes);
  const body = readBody(buf, readHeader(buf).end);
  const count = readU32(body, 0);
  let o = 4;
  for (let i = 0; i < count; i++) {
    const n = readU32(body, o);
    const start = o + 4;
    o = start + n;
    if (o > body.length) throw corrupt(`payload ${i} of ${count} ends past the body's ${body.length} bytes`);
    if (visit(body.toString('utf8', start, o), i) === false) return;
  }
  if (o !== body.length) throw corrupt(`${body.length - o} bytes after the last payload`);
}

/** The `raw` topic's codec; see the layout above. */
export const rawBatchCodec: Codec<RawBatch> = {
  encode: encodeRawBatch,
  decode(bytes) {
    const { header } = readHeader(asBuffer(bytes));
    const payloads: string[] = [];
    forEachRawPayload(bytes, (payload) => {
      payloads.push(payload);
    });
    return { ...header, payloads };
  },
};

function readHeader(buf: Buffer): { header: RawBatchHeader; end: number } {
  if (buf.length < 10 || buf[0] !== VERSION) {
    throw corrupt(`not a version ${VERSION} raw record (${buf.length} bytes)`);
  }
  const end = 5 + buf.readUInt32LE(1);
  if (end + 1 > buf.length) throw corrupt(`header ends past the record's ${buf.length} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8', 5, end));
  } catch (cause) {
    throw corrupt('header is not JSON', cause);
  }
  const h = value as Partial<RawBatchHeader> | null;
  if (
    typeof h !== 'object' ||
    h === null ||
    typeof h.source !== 'string' ||
    typeof h.position !== 'string' ||
    !Number.isSafeInteger(h.recvTs)
  ) {
    throw corrupt('header lacks source, position or recvTs');
  }
  return { header: { source: h.source, position: h.position, recvTs: h.recvTs as number }, end };
}

/** The body after the header ending at `end`, decompressed when it is. */
function readBody(buf: Buffer, end: number): Buffer {
  const encoding = buf[end];
  const body = buf.subarray(end + 1);
  if (encoding === PLAIN) return body;
  if (encoding !== BROTLI) throw corrupt(`unknown body encoding ${encoding}`);
  try {
    return brotliDecompressSync(body);
  } catch (cause) {
    throw corrupt('body is not valid Brotli', cause);
  }
}

function readU32(buf: Buffer, pos: number): number {
  if (pos + 4 > buf.length) throw corrupt(`body of ${buf.length} bytes ends inside a length`);
  return buf.readUInt32LE(pos);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function corrupt(detail: string, cause?: unknown): CryptoLambdaError {
  return new CryptoLambdaError(LOG_ERRORS.corrupt, `raw record: ${detail}`, { cause });
}
