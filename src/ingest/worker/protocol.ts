import type { Rejected, Trade } from '../../domain/index.js';
import { decodeTradeAt, encodedTradeBytes, encodeRawBatch, encodeTradeInto } from '../../log/index.js';
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

/** Encodes trades, one after another, into one buffer; `ends[i]` is where trade `i` ends. */
export function packTrades(trades: readonly Trade[]): { buffer: ArrayBuffer; ends: Uint32Array } {
  let size = 0;
  for (let i = 0; i < trades.length; i++) size += encodedTradeBytes(trades[i]!);
  const buffer = new ArrayBuffer(size);
  const bytes = Buffer.from(buffer);
  const ends = new Uint32Array(trades.length);
  let pos = 0;
  for (let i = 0; i < trades.length; i++) {
    pos = encodeTradeInto(bytes, pos, trades[i]!);
    ends[i] = pos;
  }
  return { buffer, ends };
}

/** The trades `packTrades` packed, with a view of each one's bytes. */
export function unpackTrades(
  buffer: ArrayBuffer,
  ends: Uint32Array,
): { trades: Trade[]; encoded: Uint8Array[] } {
  const bytes = Buffer.from(buffer);
  const n = ends.length;
  const trades = new Array<Trade>(n);
  const encoded = new Array<Uint8Array>(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    trades[i] = decodeTradeAt(bytes, start, end);
    encoded[i] = new Uint8Array(buffer, start, end - start);
    start = end;
  }
  return { trades, encoded };
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
