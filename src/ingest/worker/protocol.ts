import type { Rejected, Trade } from '../../domain/index.js';
import { decodeTradeAt, encodedTradeBytes, encodeTradeInto } from '../../log/index.js';
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
 * (record `i` ends at `ends[i]`): moving it costs nothing, and the bytes are the log's values.
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
