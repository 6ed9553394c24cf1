import type { Rejected, Trade } from '../domain/index.js';

/**
 * A source of trades: a file replay, a simulator, a live connector. It parses venue payloads
 * into domain `Trade`s at the edge; what fails validation comes out as `Rejected` with the
 * original payload, and the run goes on.
 */
export interface Source {
  /** Unique, shown in status: `replay:XRPETH-aggTrades-2019-10-11.csv.gz`, `simulator`. */
  readonly name: string;
  /**
   * Produces batches until the input ends (a replay) or `signal` aborts. `fromPosition` resumes
   * after the last batch whose position was acknowledged (see `SourceBatch.position`).
   */
  batches(options: SourceRunOptions): AsyncIterable<SourceBatch>;
  /** What the source is doing now. A replay at the end of its file is `finished`. */
  state(): SourceState;
}

export type SourceState = 'idle' | 'running' | 'finished' | 'failed' | 'stopped';

export interface SourceRunOptions {
  signal: AbortSignal;
  /** Resume after this position (from an earlier `SourceBatch.position`). */
  fromPosition?: string;
}

export interface SourceBatch {
  trades: Trade[];
  /**
   * The trades already in the `trades` topic's binary layout, aligned with `trades` (byte for
   * byte `TOPICS.trades.codec.encode(trades[i])`): a source that encoded them elsewhere (a
   * worker thread) saves the log writer encoding them again. Read-only views.
   */
  encodedTrades?: readonly Uint8Array[];
  /**
   * The trades topic's key of each trade, aligned with `trades` (`TOPICS.trades.key(trades[i])`),
   * from a source that knew it without a lookup (a worker thread numbers its series).
   */
  keys?: readonly string[];
  rejected: Rejected[];
  /** Records that were valid frames but not trades (a kline frame, a subscription reply). */
  ignored: number;
  /**
   * Opaque resume position after this batch (a replay's line number). Once the batch is in
   * the log, storing it lets a restarted source skip what it already delivered. A source that
   * fills `raw` gives each batch its own position: the log writer drops a raw record whose
   * `(source, position)` it has appended already.
   */
  position: string;
  /**
   * The payloads this batch was made from, exactly as received, for the `raw` topic (bronze).
   * Absent from a source that receives nothing (the simulator), and from a batch that carries
   * `encodedRaw` instead.
   */
  raw?: RawPart;
  /**
   * The batch's raw record already in the `raw` topic's binary layout, byte for byte
   * `TOPICS.raw.codec.encode({ source: <this source's name>, position, ...raw })`: a source that
   * encoded it elsewhere (a worker thread) saves the log writer decoding and encoding again.
   */
  encodedRaw?: Uint8Array;
}

/** A batch's payloads as received (`RawBatch` without what the source and batch already say). */
export interface RawPart {
  /** When the payloads were received (or read, for a file without receive times), ms. */
  recvTs: number;
  /** Each payload exactly as received, in order: a line of a file, a WebSocket frame's text. */
  payloads: string[];
}

export interface SourceStatus {
  name: string;
  state: SourceState;
  trades: number;
  rejected: number;
}
