import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { CryptoLambdaError, isCryptoLambdaError, type Rejected, type Trade } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import { sleepUnlessAborted } from '../sleep.js';
import type { Source, SourceBatch, SourceRunOptions, SourceState } from '../source.js';
import { type CutLine, MAX_LINE_BYTES, readLineChunks } from './lines.js';
import {
  inspectReplay,
  REPLAY_DEFAULTS,
  type ReplayInfo,
  type ReplayOptions,
  type ResolvedReplayOptions,
  validateReplayOptions,
} from './options.js';

/** Batches per second when pacing: small enough to look smooth, large enough to stay cheap. */
const PACED_BATCHES_PER_SEC = 20;

/**
 * A `Source` replaying a file of trades in one of the registered venues' formats (`VENUES`):
 * a Binance aggTrades or trades CSV dump (data.binance.vision layout, with or without header,
 * plain or gzip, ms or µs times) or recorded WebSocket frames. The format is detected when the
 * run starts, unless given; a file that cannot be read makes the run throw and the state `failed`.
 *
 * Positions are `<line>@<fingerprint>`: `fromPosition` resumes right after that line. The
 * fingerprint (of the file's first 64 KiB) tells this file from another one of the same name,
 * which a source name (`replay:<file name>`) cannot: a position of another file, or of this file
 * rewritten, makes the run start from the first line (the log writer drops the trades already in
 * the log), never skip lines it never delivered. A bare line number (positions saved before
 * fingerprints) resumes as it did. Each batch's `raw`
 * holds the lines it covers exactly as read (CSV header, rejected and ignored lines included;
 * blank lines left out), stamped with the receive time of its first recorded frame line, else
 * with the time they were read.
 * @throws CryptoLambdaError `INGEST_BAD_OPTION`, `INGEST_BAD_SYMBOL` for bad options, at once.
 * @example
 * const source = openReplay('XRPETH-aggTrades-2019-10-11.csv.gz', { replayRate: 1000 });
 * for await (const batch of source.batches({ signal })) await writer.write(batch);
 */
export function openReplay(path: string, options: ReplayOptions = {}): Source {
  validateReplayOptions(options);
  const resolved: ResolvedReplayOptions = { ...REPLAY_DEFAULTS, ...stripUndefined(options) };
  let state: SourceState = 'idle';
  return {
    name: `replay:${basename(path)}`,
    state: () => state,
    async *batches(run: SourceRunOptions): AsyncGenerator<SourceBatch> {
      state = 'running';
      try {
        const from = parsePosition(run.fromPosition);
        const info = await inspectReplay(path, resolved);
        const fingerprint = await fileFingerprint(path);
        const skipThrough =
          from.fingerprint === undefined || from.fingerprint === fingerprint ? from.line : 0;
        yield* replayLines(info, resolved, run.signal, skipThrough, fingerprint);
        state = run.signal.aborted ? 'stopped' : 'finished';
      } catch (error) {
        state = 'failed';
        throw isCryptoLambdaError(error)
          ? error
          : new CryptoLambdaError(
              INGEST_ERRORS.fileUnreadable,
              `replay of ${path} failed: ${String(error)}`,
              {
                cause: error,
              },
            );
      } finally {
        // The consumer left the loop early.
        if (state === 'running') state = 'stopped';
      }
    },
  };
}

/** `Rejected.stage` of lines the replay itself refuses (before any venue's parser sees them). */
export const REPLAY_STAGE = 'ingest:replay';

/** The batch being filled. */
interface Pending {
  trades: Trade[];
  rejected: Rejected[];
  ignored: number;
  /** Lines given to the parser (headers and blank lines left out). */
  lines: number;
  /** Every line as read (a cut line as kept), and when: a recorded receive time wins. */
  payloads: string[];
  readMs: number | undefined;
  recordedMs: number | undefined;
}

const pending = (): Pending => ({
  trades: [],
  rejected: [],
  ignored: 0,
  lines: 0,
  payloads: [],
  readMs: undefined,
  recordedMs: undefined,
});

/** What reads a file's lines into a pending batch. */
interface LineReader {
  read(p: Pending, line: string, lineNo: number, cutBytes: number, nowMs: number): void;
}

function lineReader(info: ReplayInfo): LineReader {
  const parse = info.format.parser(info.symbol);
  const { isHeader, recvTs } = info.format;
  let seenContent = false;
  return {
    read(p, line, lineNo, cutBytes, nowMs) {
      p.payloads.push(line);
      p.readMs ??= nowMs;
      if (recvTs !== undefined && p.recordedMs === undefined) p.recordedMs = recvTs(line);
      if (cutBytes < 0 && isHeader?.(line, !seenContent)) return;
      seenContent = true;
      p.lines++;
      if (cutBytes >= 0) {
        p.rejected.push(lineTooLong(info.path, line, lineNo, cutBytes, nowMs));
        return;
      }
      const result = parse(line, info.path, nowMs);
      if (result.kind === 'trade') p.trades.push(result.trade);
      else if (result.kind === 'ignored') p.ignored++;
      else {
        // The parser got the file as origin: a per-line origin string is only worth making here.
        result.rejected.origin = `${info.path}:${lineNo}`;
        p.rejected.push(result.rejected);
      }
    },
  };
}

/** The rejection of a line past the record limit: its first characters, its length, where it was. */
export function lineTooLong(
  path: string,
  head: string,
  lineNo: number,
  bytes: number,
  nowMs: number,
): Rejected {
  return {
    stage: REPLAY_STAGE,
    reason: 'line_too_long',
    detail:
      `line ${lineNo} is ${bytes} bytes, past the ${MAX_LINE_BYTES}-byte limit of a record; ` +
      `its first ${head.length} characters are kept here`,
    payload: head,
    origin: `${path}:${lineNo}`,
    ts: nowMs,
  };
}

async function* replayLines(
  info: ReplayInfo,
  options: ResolvedReplayOptions,
  signal: AbortSignal,
  skipThrough: number,
  fingerprint: string,
): AsyncGenerator<SourceBatch> {
  const reader = lineReader(info);
  const { batchSize, replayRate, now } = options;
  const tradesPerBatch =
    replayRate === undefined
      ? Number.POSITIVE_INFINITY
      : Math.min(batchSize, Math.max(1, Math.round(replayRate / PACED_BATCHES_PER_SEC)));
  const startMs = now();
  let delivered = 0;
  let lineNo = 0;
  let p = pending();
  const due = async (): Promise<boolean> => {
    if (replayRate !== undefined) {
      const dueMs = startMs + (delivered * 1000) / replayRate;
      if (!(await sleepUnlessAborted(dueMs - now(), signal))) return false;
    }
    return !signal.aborted;
  };
  const batch = (): SourceBatch => {
    const { trades, rejected, ignored, payloads, recordedMs, readMs } = p;
    delivered += trades.length;
    return {
      trades,
      rejected,
      ignored,
      position: `${lineNo}@${fingerprint}`,
      raw: { recvTs: recordedMs ?? readMs ?? now(), payloads },
    };
  };
  for await (const { lines, cut } of readLineChunks(info.path, info.gzip)) {
    if (signal.aborted) return;
    const nowMs = now();
    let nextCut = 0;
    let cutAt = cut.length > 0 ? (cut[0] as CutLine).index : -1;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      lineNo++;
      let cutBytes = -1;
      if (i === cutAt) {
        cutBytes = (cut[nextCut] as CutLine).bytes;
        nextCut++;
        cutAt = nextCut < cut.length ? (cut[nextCut] as CutLine).index : -1;
      }
      if (lineNo <= skipThrough || line.length === 0 || line === '\r') continue;
      reader.read(p, line, lineNo, cutBytes, nowMs);
      if (p.lines >= batchSize || p.trades.length >= tradesPerBatch) {
        if (!(await due())) return;
        yield batch();
        p = pending();
      }
    }
  }
  // A file of a CSV header alone still has a payload to keep.
  if (p.lines > 0 || p.payloads.length > 0) {
    if (!(await due())) return;
    yield batch();
  }
}

/** Bytes of the head of a file its fingerprint covers. */
const FINGERPRINT_BYTES = 65_536;

/** Hex of the SHA-256 of the file's first 64 KiB (as stored, compressed or not), 16 digits. */
async function fileFingerprint(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(FINGERPRINT_BYTES);
    const { bytesRead } = await file.read(head, 0, FINGERPRINT_BYTES, 0);
    return createHash('sha256').update(head.subarray(0, bytesRead)).digest('hex').slice(0, 16);
  } finally {
    await file.close();
  }
}

function parsePosition(position: string | undefined): { line: number; fingerprint?: string } {
  if (position === undefined) return { line: 0 };
  const match = /^(\d{1,15})(?:@([0-9a-f]{16}))?$/.exec(position);
  const line = match === null ? Number.NaN : Number(match[1]);
  if (match === null || !Number.isSafeInteger(line)) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.badPosition,
      `position ${JSON.stringify(position)} is not a replay position (a line number and the file's fingerprint); resume from a position this replay delivered`,
    );
  }
  return match[2] === undefined ? { line } : { line, fingerprint: match[2] };
}

function stripUndefined(options: ReplayOptions): Partial<ResolvedReplayOptions> {
  const out: Partial<ResolvedReplayOptions> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(out, { [key]: value });
  }
  return out;
}
