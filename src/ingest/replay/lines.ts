import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CryptoLambdaError } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';

/** Bytes read from a plain file at a time (measured: 1 MiB reads cost a quarter of 256 KiB stream chunks). */
const PLAIN_CHUNK_BYTES = 1024 * 1024;
const GZIP_CHUNK_BYTES = 256 * 1024;
/**
 * A line longer than this is no record: it is passed over (a file without newlines cannot fill
 * memory) and handed on as its first `KEPT_BYTES`, marked as cut, for the reader to reject.
 */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** What is kept of an over-long line: enough to see what it was. */
const KEPT_BYTES = 1024;
const NEWLINE = 0x0a;

/** A line longer than `MAX_LINE_BYTES`: `lines[index]` holds its first bytes only. */
export interface CutLine {
  readonly index: number;
  /** The whole line's length in bytes. */
  readonly bytes: number;
}

/** Whole lines, without their `\n`, and which of them were cut short (ascending). */
export interface LineChunk {
  readonly lines: string[];
  readonly cut: readonly CutLine[];
}

const NO_CUTS: readonly CutLine[] = Object.freeze([]);

/** Whether the file starts with the gzip magic bytes; the content decides, not the name. */
export async function isGzipFile(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } catch (error) {
    throw fileError(path, error);
  } finally {
    await handle?.close();
  }
}

/**
 * The lines of a text file, plain or gzip, a chunk at a time (each chunk holds whole lines,
 * without their `\n`). Reading pauses while the consumer works on a chunk, so memory stays at
 * one chunk whatever the file size. A line longer than `MAX_LINE_BYTES` comes as its first
 * bytes, listed in the chunk's `cut`, never as pieces that would pass for lines.
 *
 * Lines are cut from the bytes (a `\n` byte is never part of a UTF-8 sequence) and decoded one
 * by one: each is a string of its own, which the parsers read much faster than slices of one
 * big decoded chunk. A chunk of ASCII bytes alone (exchange frames and CSV dumps are) is
 * decoded as Latin-1, which gives the same strings and skips UTF-8's checks.
 * @throws CryptoLambdaError `INGEST_FILE_NOT_FOUND`, `INGEST_FILE_UNREADABLE`, `INGEST_FILE_CORRUPT`
 */
export async function* readLineChunks(path: string, gzip: boolean): AsyncGenerator<LineChunk> {
  // The start of a line that the chunks read so far did not finish (a copy: chunks are reused).
  let carry: Buffer | undefined;
  // An over-long line being passed over: what is kept of it, and its length so far.
  let skipping: { head: string; bytes: number } | undefined;
  let first = true;
  const decode = (buf: Buffer, start: number, end: number, encoding: 'utf8' | 'latin1'): string => {
    const line = buf.toString(encoding, start, end);
    if (!first) return line;
    first = false;
    // A byte-order mark would hide a CSV header or a frame's opening brace.
    return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  };
  const headOf = (buf: Buffer): string => decode(buf, 0, charBoundary(buf.subarray(0, KEPT_BYTES)), 'utf8');
  try {
    for await (const chunk of gzip ? gunzippedChunks(path) : plainChunks(path)) {
      const encoding = isAscii(chunk) ? 'latin1' : 'utf8';
      const lines: string[] = [];
      const cut: CutLine[] = [];
      let start = 0;
      if (skipping !== undefined) {
        const nl = chunk.indexOf(NEWLINE);
        skipping.bytes += nl === -1 ? chunk.length : nl;
        if (nl === -1) continue;
        cut.push({ index: lines.length, bytes: skipping.bytes });
        lines.push(skipping.head);
        skipping = undefined;
        start = nl + 1;
      } else if (carry !== undefined) {
        const nl = chunk.indexOf(NEWLINE);
        if (nl === -1) {
          carry = Buffer.concat([carry, chunk]);
          start = chunk.length;
        } else {
          const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
          const long = joined.length > MAX_LINE_BYTES;
          if (long) cut.push({ index: lines.length, bytes: joined.length });
          lines.push(long ? headOf(joined) : decode(joined, 0, joined.length, 'utf8'));
          carry = undefined;
          start = nl + 1;
        }
      }
      for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        lines.push(decode(chunk, start, nl, encoding));
        start = nl + 1;
      }
      if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
      if (carry !== undefined && carry.length > MAX_LINE_BYTES) {
        skipping = { head: headOf(carry), bytes: carry.length };
        carry = undefined;
      }
      if (lines.length > 0) yield { lines, cut: cut.length > 0 ? cut : NO_CUTS };
    }
  } catch (error) {
    throw fileError(path, error);
  }
  if (skipping !== undefined) yield { lines: [skipping.head], cut: [{ index: 0, bytes: skipping.bytes }] };
  else if (carry !== undefined && carry.length > 0) {
    yield { lines: [decode(carry, 0, carry.length, 'utf8')], cut: NO_CUTS };
  }
}

/**
 * A plain file's bytes, read into one buffer again and again (a view of it, valid until the
 * next chunk is asked for): no allocation per read, and a quarter of the reads a stream makes.
 */
async function* plainChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(PLAIN_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** A gzip file's decompressed bytes, a fresh buffer each chunk. */
async function* gunzippedChunks(path: string): AsyncGenerator<Buffer> {
  const file = createReadStream(path, { highWaterMark: GZIP_CHUNK_BYTES });
  const bytes: Readable = pipeline(file, createGunzip({ chunkSize: GZIP_CHUNK_BYTES }), noop);
  try {
    yield* bytes as AsyncIterable<Buffer>;
  } finally {
    bytes.destroy();
    file.destroy();
  }
}

/** Where to cut `buf` so no UTF-8 character is split: before an unfinished last character, else at the end. */
function charBoundary(buf: Buffer): number {
  const end = buf.length;
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const byte = buf[i] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + length > end ? i : end;
  }
  return end;
}

function noop(): void {}

/** A file error as the ingest catalogue names it (not found, corrupt gzip, unreadable). */
export function fileError(path: string, error: unknown): CryptoLambdaError {
  if (error instanceof CryptoLambdaError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') {
    return new CryptoLambdaError(
      INGEST_ERRORS.fileNotFound,
      `replay file ${path} does not exist; check the path (relative paths start at the working directory)`,
      { cause: error },
    );
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new CryptoLambdaError(
      INGEST_ERRORS.fileCorrupt,
      `replay file ${path} is not a valid gzip stream (${(error as Error).message}); download it again or gunzip it to check`,
      { cause: error },
    );
  }
  const why = error instanceof Error ? error.message : String(error);
  return new CryptoLambdaError(
    INGEST_ERRORS.fileUnreadable,
    `cannot read replay file ${path}: ${why}; check that it is a readable file`,
    { retryable: code === 'EMFILE' || code === 'EAGAIN' || code === 'EBUSY', cause: error },
  );
}
