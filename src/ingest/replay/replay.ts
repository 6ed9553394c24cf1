import { basename } from 'node:path';
import { CryptoLambdaError, isCryptoLambdaError, type Rejected, type Trade } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import { sleepUnlessAborted } from '../sleep.js';
import type { RawPart, Source, SourceBatch, SourceRunOptions, SourceState } from '../source.js';
import { readLineChunks } from './lines.js';
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
 * Positions are line numbers: `fromPosition` resumes right after that line. Each batch's `raw`
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
        const skipThrough = parsePosition(run.fromPosition);
        const info = await inspectReplay(path, resolved);
        yield* replayLines(info, resolved, run.signal, skipThrough);
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

async function* replayLines(
  info: ReplayInfo,
  options: ResolvedReplayOptions,
  signal: AbortSignal,
  skipThrough: number,
): AsyncGenerator<SourceBatch> {
  const parse = info.format.parser(info.symbol);
  const { isHeader, recvTs } = info.format;
  const { batchSize, replayRate, now } = options;
  const tradesPerBatch =
    replayRate === undefined
      ? Number.POSITIVE_INFINITY
      : Math.min(batchSize, Math.max(1, Math.round(replayRate / PACED_BATCHES_PER_SEC)));
  const startMs = now();
  let delivered = 0;
  let lineNo = 0;
  let trades: Trade[] = [];
  let rejected: Rejected[] = [];
  let ignored = 0;
  let lines = 0;
  let seenContent = false;
  // The batch's raw part: every line as read, and when (a recorded receive time wins).
  let payloads: string[] = [];
  let readMs: number | undefined;
  let recordedMs: number | undefined;
  const raw = (): RawPart => ({ recvTs: recordedMs ?? readMs ?? now(), payloads });
  for await (const chunk of readLineChunks(info.path, info.gzip)) {
    if (signal.aborted) return;
    const nowMs = now();
    for (const line of chunk) {
      lineNo++;
      if (lineNo <= skipThrough) continue;
      if (line.length === 0 || line === '\r') continue;
      payloads.push(line);
      readMs ??= nowMs;
      if (recvTs !== undefined && recordedMs === undefined) recordedMs = recvTs(line);
      if (isHeader?.(line, !seenContent)) continue;
      seenContent = true;
      lines++;
      const result = parse(line, info.path, nowMs);
      if (result.kind === 'trade') trades.push(result.trade);
      else if (result.kind === 'ignored') ignored++;
      else {
        // The parser got the file as origin: a per-line origin string is only worth making here.
        result.rejected.origin = `${info.path}:${lineNo}`;
        rejected.push(result.rejected);
      }
      if (lines >= batchSize || trades.length >= tradesPerBatch) {
        if (replayRate !== undefined) {
          const dueMs = startMs + (delivered * 1000) / replayRate;
          if (!(await sleepUnlessAborted(dueMs - now(), signal))) return;
        }
        if (signal.aborted) return;
        delivered += trades.length;
        yield { trades, rejected, ignored, position: String(lineNo), raw: raw() };
        trades = [];
        rejected = [];
        ignored = 0;
        lines = 0;
        payloads = [];
        readMs = undefined;
        recordedMs = undefined;
      }
    }
  }
  // A file of a CSV header alone still has a payload to keep.
  if (lines > 0 || payloads.length > 0) {
    if (replayRate !== undefined) {
      const dueMs = startMs + (delivered * 1000) / replayRate;
      if (!(await sleepUnlessAborted(dueMs - now(), signal))) return;
    }
    if (signal.aborted) return;
    yield { trades, rejected, ignored, position: String(lineNo), raw: raw() };
  }
}

function parsePosition(position: string | undefined): number {
  if (position === undefined) return 0;
  const line = /^\d{1,15}$/.test(position) ? Number(position) : Number.NaN;
  if (!Number.isSafeInteger(line)) {
    throw new CryptoLambdaError(
      INGEST_ERRORS.badPosition,
      `position ${JSON.stringify(position)} is not a replay position (a line number); resume from a position this replay delivered`,
    );
  }
  return line;
}

function stripUndefined(options: ReplayOptions): Partial<ResolvedReplayOptions> {
  const out: Partial<ResolvedReplayOptions> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(out, { [key]: value });
  }
  return out;
}
