import { CryptoLambdaError } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';
import type { SymbolState } from './market.js';

/** The simulator's whole state after a batch; its JSON is the batch's opaque position. */
export interface SimPosition {
  /** PRNG state. */
  rng: number;
  /** Trades made so far. */
  seq: number;
  /** Event time of the next realtime arrival (fractional ms). */
  nextMs: number;
  /** Whether the arrival rate is in its busy regime. */
  burst: boolean;
  /** First event time of the run (spacing origin when not realtime). */
  startTs: number;
  /** In the order of the simulator's symbols. */
  symbols: SymbolState[];
}

const VERSION = 1;

export function encodeSimPosition(position: SimPosition): string {
  return JSON.stringify({ v: VERSION, ...position });
}

/** @throws CryptoLambdaError `INGEST_BAD_POSITION` unless it is a position of a simulator like this one. */
export function decodeSimPosition(text: string, symbolCount: number): SimPosition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badPosition(text, error);
  }
  const p = value as Partial<SimPosition> & { v?: unknown };
  const symbols = p.symbols;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    p.v === VERSION &&
    Number.isInteger(p.rng) &&
    Number.isSafeInteger(p.seq) &&
    Number.isFinite(p.nextMs) &&
    typeof p.burst === 'boolean' &&
    Number.isSafeInteger(p.startTs) &&
    Array.isArray(symbols) &&
    symbols.length === symbolCount &&
    symbols.every(isSymbolState);
  if (!ok) throw badPosition(text);
  return {
    rng: p.rng as number,
    seq: p.seq as number,
    nextMs: p.nextMs as number,
    burst: p.burst as boolean,
    startTs: p.startTs as number,
    symbols: (symbols as SymbolState[]).map((s) => ({ ...s })),
  };
}

function isSymbolState(value: unknown): value is SymbolState {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<SymbolState>;
  return (
    Number.isFinite(s.logPrice) &&
    Number.isSafeInteger(s.nextId) &&
    Number.isFinite(s.lastTs) &&
    Number.isFinite(s.lastReturn)
  );
}

function badPosition(text: string, cause?: unknown): CryptoLambdaError {
  return new CryptoLambdaError(
    INGEST_ERRORS.badPosition,
    `${JSON.stringify(text.slice(0, 80))} is not a position of this simulator (same symbols); start without fromPosition`,
    { cause },
  );
}
