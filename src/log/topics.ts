import type { Candle, RawBatch, Rejected, Trade } from '../domain/index.js';
import { candleBinaryCodec } from './candle-codec.js';
import type { TopicConfig } from './event-log.js';
import { rawBatchCodec } from './raw-codec.js';
import { tradeBinaryCodec } from './trade-codec.js';

/** Turns a record into bytes and back. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** A topic and how its records are keyed and encoded. One place drives the log, lake and API. */
export interface TopicDef<T> {
  name: string;
  config: TopicConfig;
  key(value: T): string;
  /**
   * The record's log timestamp, which time-based retention counts from. Every topic here uses
   * the append time (Kafka's LogAppendTime): a replay of 2019 trades is kept as long as live
   * ones, where an event time would expire it at once.
   */
  ts(value: T): number;
  /** `ts` is the append time for every record: a batch takes one reading of the clock. */
  appendTime?: true;
  codec: Codec<T>;
}

/** The timestamps a batch of `def`'s records takes: one clock reading for append-time topics. */
export function batchTs<T>(def: TopicDef<T>): (value: T) => number {
  if (def.appendTime !== true) return (value) => def.ts(value);
  const now = Date.now();
  return () => now;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}

/** The records carried by each topic, keyed by kind. */
export interface EventMap {
  /** Every source batch's payloads as received, for bronze (one record per batch). */
  raw: RawBatch;
  trades: Trade;
  rejected: Rejected;
  candles: Candle;
}

const DAY_MS = 86_400_000;

const appendTime = (): number => Date.now();

/*
 * `venue:symbol`, the key of a series' trades and candles, made once per series rather than
 * once per record: with thousands of symbols every record's key was a new string, built and
 * then hashed again by every map it met. Bounded: cleared when full.
 */
const SERIES_KEYS_MAX = 65_536;
let seriesKeys = new Map<string, Map<string, string>>();
let seriesKeyCount = 0;

function seriesKey(venue: string, symbol: string): string {
  let bySymbol = seriesKeys.get(venue);
  if (bySymbol === undefined) {
    bySymbol = new Map();
    seriesKeys.set(venue, bySymbol);
  }
  let key = bySymbol.get(symbol);
  if (key === undefined) {
    if (++seriesKeyCount > SERIES_KEYS_MAX) {
      seriesKeys = new Map([[venue, bySymbol]]);
      bySymbol.clear();
      seriesKeyCount = 1;
    }
    key = `${venue}:${symbol}`;
    bySymbol.set(symbol, key);
  }
  return key;
}

export const TOPICS: { [K in keyof EventMap]: TopicDef<EventMap[K]> } = {
  raw: {
    name: 'raw',
    config: { partitions: 2, retentionMs: 7 * DAY_MS },
    // A source's batches stay in one partition, in the order it delivered them.
    key: (r) => r.source,
    ts: appendTime,
    appendTime: true,
    codec: rawBatchCodec,
  },
  trades: {
    name: 'trades',
    config: { partitions: 4, retentionMs: 7 * DAY_MS },
    key: (t) => seriesKey(t.venue, t.symbol),
    ts: appendTime,
    appendTime: true,
    codec: tradeBinaryCodec,
  },
  rejected: {
    name: 'rejected',
    config: { partitions: 1, retentionMs: 7 * DAY_MS },
    key: (r) => r.stage,
    ts: appendTime,
    appendTime: true,
    codec: jsonCodec<Rejected>(),
  },
  candles: {
    name: 'candles',
    config: { partitions: 4, retentionMs: 30 * DAY_MS },
    key: (c) => seriesKey(c.venue, c.symbol),
    ts: appendTime,
    appendTime: true,
    codec: candleBinaryCodec,
  },
};
