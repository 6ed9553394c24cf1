import { type Static, Type } from 'typebox';
import { REJECT_REASONS } from './trade.js';

/** A record that failed validation, kept with its original payload so nothing is lost. */
export const RejectedSchema = Type.Object(
  {
    /** The stage that rejected it, e.g. `ingest:binance-csv`. */
    stage: Type.String(),
    reason: Type.Enum(REJECT_REASONS),
    detail: Type.String(),
    /** The original payload, as received (a line of a file, a frame). */
    payload: Type.String(),
    /** Where it came from: a file and line, or a connection. */
    origin: Type.String(),
    /** When it was rejected, ms since the Unix epoch. */
    ts: Type.Integer(),
  },
  { additionalProperties: false },
);
export type Rejected = Static<typeof RejectedSchema>;
