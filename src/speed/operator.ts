import type { UnixMs } from '../domain/index.js';

/**
 * A streaming operator, as a plain definition: a name, what it reads and writes, its defaults,
 * and a factory. Its instance is deterministic: the same inputs in the same order give the same
 * outputs, which is what makes checkpoint + replay exact.
 */
export interface OperatorDef<In, Out, Options, State> {
  name: string;
  input: string;
  output: string;
  defaults: Options;
  create(options: Options): OperatorInstance<In, Out, State>;
}

export interface OperatorInstance<In, Out, State> {
  /** Processes one input record; calls `emit` for each output it causes. */
  process(record: In, emit: (out: Out) => void): void;
  /**
   * Advances processing time (live mode only): buckets of quiet keys close once the wall
   * clock passes their end by the operator's idle timeout. Replays never call it.
   */
  onWallClock(nowMs: UnixMs, emit: (out: Out) => void): void;
  /** Emits updates the operator held back to emit once per batch (optional). */
  drainOpen?(emit: (out: Out) => void): void;
  /** A JSON-serialisable copy of the whole state, for the checkpoint. Marks every part saved. */
  snapshot(): State;
  /**
   * The parts of the state that changed since the last `snapshot` or `changes` (for a keyed
   * operator, the keys that took input), in the snapshot's shape; undefined when nothing did.
   * Checkpoints write these instead of the whole state.
   */
  changes(): State | undefined;
  /** Folds `changes` into an earlier snapshot: what `snapshot()` would have given then. Pure. */
  merge(base: State, changes: State): State;
  /** Replaces the state with a snapshot taken earlier. */
  restore(state: State): void;
}
