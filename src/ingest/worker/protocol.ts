import type { Rejected, Trade } from '../../domain/index.js';
import {
  decodeTradeAt,
  encodedTradeBytes,
  encodeRawBatch,
  encodeTradeInto,
  type SeriesName,
  TOPICS,
} from '../../log/index.js';
import type { SourceBatch } from '../source.js';
import type { SourceSpec } from './spec.js';

/*
 * The messages between a source's worker thread and the thread that consumes it.
 *
 *   main → worker   workerData: WorkerInit · { type: 'start' } once · { type: 'credit' } per batch
 *                   taken · { type: 'stop' }
 *   worker → main   { type: 'ready' } once its code is loaded · { type: 'batch' } at most
 *                   `credits` ahead of the batches taken · then one { type: 'end' } or { type: 'error' }
 *
 * A batch's trades travel as one transferred ArrayBuffer in the trades topic's binary layout
 * (record `i` ends at `ends[i]`), and its raw payloads as another, the `raw` topic's record:
 * moving them costs nothing, and the bytes are the log's values.
 *
 * Each trade also carries its series' number (`series[i]`), which the worker gives each
 * (venue, symbol) the first time it sends one, naming it in that batch (`named`): the consumer
 * takes the strings from its table instead of finding them from their bytes, and the trades
 * topic's key with them. With thousands of symbols those lookups missed the CPU caches on every
 * trade; an index into an array does not.
 */

export interface WorkerInit {
  spec: SourceSpec;
  /** Batches the worker may send before the first credit. */
  credits: number;
}

export type ToWorker =
  | { type: 'start'; fromPosition: string | undefined }
  | { type: 'credit' }
  | { type: 'stop' };

export interface BatchMessage {
  type: 'batch';
  buffer: ArrayBuffer;
  ends: Uint32Array;
  /** Trade `i`'s series number; `NO_SERIES` for one the worker did not number. */
  series: Uint32Array;
  /** Venue and symbol of the series numbered first in this batch, in number order: [venue, symbol, …]. */
  named: string[];
  /** The batch's raw record (`TOPICS.raw`'s layout) when its source has raw payloads. */
  raw: ArrayBuffer | undefined;
  rejected: Rejected[];
  ignored: number;
  position: string;
}

export type FromWorker =
  | { type: 'ready' }
  | BatchMessage
  | { type: 'end'; state: 'finished' | 'stopped' }
  | { type: 'error'; code: string; message: string; retryable: boolean };

/** A series number that names nothing: the trade's strings are read from its bytes. */
export const NO_SERIES = 0xffff_ffff;

/**
 * The worker's numbering of series: bounded, so that a source of endless new symbols (a bad
 * feed) cannot grow it without end; the series past the bound go unnumbered.
 */
export interface SeriesNumbers {
  /** The number of `venue`/`symbol`, numbering it (and adding it to `named`) if it is new. */
  numberOf(venue: string, symbol: string, named: string[]): number;
}

export const SERIES_NUMBERS_MAX = 1 << 20;

export function createSeriesNumbers(max = SERIES_NUMBERS_MAX): SeriesNumbers {
  const byVenue = new Map<string, Map<string, number>>();
  let count = 0;
  return {
    numberOf(venue, symbol, named) {
      let bySymbol = byVenue.get(venue);
      if (bySymbol === undefined) {
        bySymbol = new Map();
        byVenue.set(venue, bySymbol);
      }
      const known = bySymbol.get(symbol);
      if (known !== undefined) return known;
      if (count >= max) return NO_SERIES;
      bySymbol.set(symbol, count);
      named.push(venue, symbol);
      return count++;
    },
  };
}

/** Encodes trades, one after another, into one buffer; `ends[i]` is where trade `i` ends. */
export function packTrades(
  trades: readonly Trade[],
  numbers: SeriesNumbers,
): { buffer: ArrayBuffer; ends: Uint32Array; series: Uint32Array; named: string[] } {
  let size = 0;
  for (let i = 0; i < trades.length; i++) size += encodedTradeBytes(trades[i]!);
  const buffer = new ArrayBuffer(size);
  const bytes = Buffer.from(buffer);
  const ends = new Uint32Array(trades.length);
  const series = new Uint32Array(trades.length);
  const named: string[] = [];
  let pos = 0;
  for (let i = 0; i < trades.length; i++) {
    const trade = trades[i]!;
    pos = encodeTradeInto(bytes, pos, trade);
    ends[i] = pos;
    series[i] = numbers.numberOf(trade.venue, trade.symbol, named);
  }
  return { buffer, ends, series, named };
}

/** A series the consumer of a worker knows by number: its strings and its trades topic key. */
interface NamedSeries extends SeriesName {
  /** `TOPICS.trades.key` of its trades; made with its first one. */
  key: string | undefined;
}

/** The consumer's side of a worker's numbering: what each number names. */
export interface SeriesTable {
  readonly series: NamedSeries[];
}

export function createSeriesTable(): SeriesTable {
  return { series: [] };
}

/**
 * The trades `packTrades` packed, with a view of each one's bytes and its trades topic key;
 * `named` adds to `table` first.
 */
export function unpackTrades(
  buffer: ArrayBuffer,
  ends: Uint32Array,
  series: Uint32Array,
  named: readonly string[],
  table: SeriesTable,
): { trades: Trade[]; encoded: Uint8Array[]; keys: string[] } {
  for (let i = 0; i + 1 < named.length; i += 2) {
    table.series.push({ venue: named[i]!, symbol: named[i + 1]!, key: undefined });
  }
  const bytes = Buffer.from(buffer);
  const n = ends.length;
  const trades = new Array<Trade>(n);
  const encoded = new Array<Uint8Array>(n);
  const keys = new Array<string>(n);
  const key = TOPICS.trades.key;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    const known = table.series[series[i]!];
    const trade = decodeTradeAt(bytes, start, end, known);
    trades[i] = trade;
    encoded[i] = new Uint8Array(buffer, start, end - start);
    if (known === undefined) keys[i] = key(trade);
    else {
      known.key ??= key(trade);
      keys[i] = known.key;
    }
    start = end;
  }
  return { trades, encoded, keys };
}

/**
 * The batch's raw record as `TOPICS.raw.codec.encode` makes it, in an ArrayBuffer of its own to
 * transfer; undefined when the batch has no raw part.
 */
export function packRaw(source: string, batch: SourceBatch): ArrayBuffer | undefined {
  const { raw } = batch;
  if (raw === undefined) return undefined;
  const bytes = encodeRawBatch({
    source,
    position: batch.position,
    recvTs: raw.recvTs,
    payloads: raw.payloads,
  });
  // The encoder's bytes fill their own buffer; a view of a larger one would send too much.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}
