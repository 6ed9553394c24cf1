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
    /**
     * Where it came from, unique per record: a file and line (`XRPETH.csv.gz:17`), or a
     * connection and frame sequence number. The log writer drops a rejected record whose origin
     * it has seen already (a replay resumed after a crash re-reads some lines).
     */
    origin: Type.String(),
    /** When it was rejected, ms since the Unix epoch. */
    ts: Type.Integer(),
  },
  { additionalProperties: false },
);
export type Rejected = Static<typeof RejectedSchema>;
