import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Rejected, Trade } from '../../domain/index.js';
import { newTradeFields, type TradeFields } from '../../log/index.js';
import type { FileFormat } from '../venues/venue.js';
import { fileError } from './lines.js';
import type { ReplayInfo } from './options.js';
import { lineTooLong } from './replay.js';

/** Bytes read (or inflated) at a time. */
const CHUNK_BYTES = 1024 * 1024;
/** A "line" longer than this is garbage (as `readLineChunks` has it): rejected once, not kept whole. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;
/** What a rejected over-long line keeps as its payload, as the replay keeps; bronze keeps the file whole. */
const KEPT_PAYLOAD_BYTES = 1024;
const NEWLINE = 0x0a;
const CR = 0x0d;

/** Where a dump's rows go (a bulk loader): trades as fields or objects, and rejections. */
export interface DumpSink {
  /** A row read by the fast path; the object is reused for the next row. */
  fields(fields: TradeFields): void;
  /** A row the generic parser made a trade of (a valid spelling off the fast path). */
  trade(trade: Trade): void;
  rejected(rejected: Rejected): void;
}

export interface DumpProgress {
  /** The last line read, from 1 (blank lines and the header count). */
  line: number;
  /** Bytes of the file read so far (of the gzip stream for a gzip file). */
  bytesRead: number;
  trades: number;
  rejected: number;
}

export interface DumpReadOptions {
  /** Lines up to and including this one were loaded before: they are skipped. @default 0 */
  fromLine?: number;
  /** Called, and awaited, after each chunk of lines (about 1 MiB): a loader commits there. */
  onChunk?: (progress: Readonly<DumpProgress>) => Promise<void> | void;
  /** Stops reading after the current chunk. */
  signal?: AbortSignal;
  /** The clock: stamps rejections, bounds event times from above. @default Date.now */
  now?: () => number;
}

/**
 * Reads a data.binance.vision aggTrades or trades dump (`inspectReplay` told its format,
 * compression and symbol) for a bulk load, straight from its bytes: a row as Binance writes it
 * goes to `sink.fields` through the fast path (`csv-fast.ts`) without a string being made; any
 * other line is decoded as `readLineChunks` decodes it and given to the parser the replay uses
 * (`parseAggTradeCsvLine` / `parseTradeCsvLine`), so the header, valid odd spellings and every
 * rejection (reason, detail, payload, origin `file:line`) are exactly the replay's. Lines are
 * counted as the replay counts them, blank ones too; a line longer than 8 MiB is one `bad_csv`
 * rejection whose payload keeps its first 64 KiB (the replay cuts it into pieces instead).
 * @throws CryptoLambdaError `INGEST_FILE_NOT_FOUND`, `INGEST_FILE_UNREADABLE`, `INGEST_FILE_CORRUPT`
 */
export async function readDump(
  info: ReplayInfo,
  sink: DumpSink,
  options: DumpReadOptions = {},
): Promise<DumpProgress> {
  if (info.format.layout !== 'rows') throw new Error(`readDump reads CSV dumps, not ${info.path}`);
  const now = options.now ?? Date.now;
  const progress: DumpProgress = { line: 0, bytesRead: 0, trades: 0, rejected: 0 };
  const lines = createDumpLines(info, info.format, sink, progress, options.fromLine ?? 0);
  const splitter = createLineSplitter(lines.line, lines.longLine);
  const source = byteChunks(info.path, info.gzip);
  try {
    for await (const chunk of source.chunks) {
      lines.setClock(now());
      splitter.push(chunk);
      progress.bytesRead = source.bytesRead();
      await options.onChunk?.(progress);
      if (options.signal?.aborted === true) return progress;
    }
  } catch (error) {
    throw fileError(info.path, error);
  }
  splitter.end();
  progress.bytesRead = source.bytesRead();
  await options.onChunk?.(progress);
  return progress;
}

/**
 * What becomes of each line of a dump, counted in `progress`: the fast path, else the replay's
 * parser (with the header rule of `isCsvHeader`); lines up to `fromLine` are counted and skipped.
 */
function createDumpLines(
  info: ReplayInfo,
  format: FileFormat,
  sink: DumpSink,
  progress: DumpProgress,
  fromLine: number,
): {
  line(buf: Buffer, start: number, end: number): void;
  longLine(head: Buffer, bytes: number): void;
  setClock(nowMs: number): void;
} {
  const symbol = info.symbol ?? '';
  const parse = format.parser(symbol);
  const isHeader = format.isHeader ?? (() => false);
  const fields = newTradeFields();
  let nowMs = Date.now();
  let fast = format.fastRow?.(symbol, nowMs, fields);
  let seenContent = false;
  const reject = (r: Rejected): void => {
    progress.rejected++;
    sink.rejected(r);
  };
  return {
    setClock(ms) {
      nowMs = ms;
      fast = format.fastRow?.(symbol, nowMs, fields);
    },
    line(buf, start, end) {
      const lineNo = ++progress.line;
      if (lineNo <= fromLine) return;
      // A byte-order mark would hide the header (`readLineChunks` drops it from the first line).
      if (lineNo === 1 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf)
        start += 3;
      if (end === start || (end === start + 1 && buf[start] === CR)) return;
      const first = buf[start] as number;
      if (first >= 48 && first <= 57 && fast?.(buf, start, end) === true) {
        seenContent = true;
        progress.trades++;
        sink.fields(fields);
        return;
      }
      const text = buf.toString('utf8', start, end);
      if (isHeader(text, !seenContent)) return;
      seenContent = true;
      const result = parse(text, info.path, nowMs);
      if (result.kind === 'trade') {
        progress.trades++;
        sink.trade(result.trade);
      } else if (result.kind === 'rejected') {
        result.rejected.origin = `${info.path}:${lineNo}`;
        reject(result.rejected);
      }
    },
    longLine(head, bytes) {
      const lineNo = ++progress.line;
      if (lineNo <= fromLine) return;
      seenContent = true;
      reject(lineTooLong(info.path, head.toString('utf8'), lineNo, bytes, nowMs));
    },
  };
}

/**
 * Cuts chunks of bytes into lines (without their `\n`), calling `line` with a buffer and the
 * line's bounds (valid during the call only); a line past `MAX_LINE_BYTES` goes to `longLine`
 * with its first bytes, once its end is found, and is never held whole.
 */
function createLineSplitter(
  line: (buf: Buffer, start: number, end: number) => void,
  longLine: (head: Buffer, bytes: number) => void,
): { push(chunk: Buffer): void; end(): void } {
  let carry: Buffer[] = [];
  let carried = 0;
  let long: { head: Buffer; bytes: number } | undefined;
  const hold = (part: Buffer): void => {
    if (long !== undefined) {
      long.bytes += part.length;
      return;
    }
    carry.push(Buffer.from(part));
    carried += part.length;
    if (carried > MAX_LINE_BYTES) {
      const joined = Buffer.concat(carry);
      long = { head: Buffer.from(joined.subarray(0, KEPT_PAYLOAD_BYTES)), bytes: joined.length };
      carry = [];
      carried = 0;
    }
  };
  const finishHeld = (tail: Buffer): void => {
    if (long !== undefined) {
      longLine(long.head, long.bytes + tail.length);
      long = undefined;
      return;
    }
    const joined = Buffer.concat([...carry, tail]);
    carry = [];
    carried = 0;
    if (joined.length > MAX_LINE_BYTES)
      longLine(Buffer.from(joined.subarray(0, KEPT_PAYLOAD_BYTES)), joined.length);
    else line(joined, 0, joined.length);
  };
  return {
    push(chunk) {
      let start = 0;
      if (carried > 0 || long !== undefined) {
        const nl = chunk.indexOf(NEWLINE);
        if (nl === -1) {
          hold(chunk);
          return;
        }
        finishHeld(chunk.subarray(0, nl));
        start = nl + 1;
      }
      for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
        if (nl - start > MAX_LINE_BYTES)
          longLine(Buffer.from(chunk.subarray(start, start + KEPT_PAYLOAD_BYTES)), nl - start);
        else line(chunk, start, nl);
        start = nl + 1;
      }
      if (start < chunk.length) hold(chunk.subarray(start));
    },
    end() {
      if (carried > 0 || long !== undefined) finishHeld(Buffer.alloc(0));
    },
  };
}

/** A file's bytes (inflated when gzip) a chunk at a time, and how much of the file was read. */
function byteChunks(path: string, gzip: boolean): { chunks: AsyncIterable<Buffer>; bytesRead(): number } {
  if (gzip) {
    const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    const inflate = createGunzip({ chunkSize: CHUNK_BYTES });
    file.on('error', (error) => inflate.destroy(error));
    file.pipe(inflate);
    return { chunks: inflate, bytesRead: () => file.bytesRead };
  }
  let read = 0;
  async function* plain(): AsyncGenerator<Buffer> {
    const handle = await open(path, 'r');
    try {
      // One buffer, read into again and again: the splitter copies what it keeps.
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, null);
        if (bytesRead === 0) return;
        read += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await handle.close();
    }
  }
  return { chunks: plain(), bytesRead: () => read };
}
